// Package inproc runs a tool's function in the test's process, as its
// cmd/we-* main would, for the tests and benchmarks of the tools.
package inproc

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/internal/cli"
)

// Run runs tool with args, no input and an empty environment, fails the
// test unless it exits 0, and returns its stdout, trimmed.
func Run(t testing.TB, tool func(*cli.Env, []string) int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Name: "test", Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if code := tool(env, args); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errb.String())
	}
	return strings.TrimSpace(out.String())
}
