// Package tools holds the logic of wepipe's command-line tools; each
// cmd/we-* main is one call into it. A tool function takes its Env and
// arguments and returns the exit code.
package tools

import (
	"errors"
	"os"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/step"
)

// Version is the version of wepipe's algorithms recorded in every
// snapshot's op. It changes only when a tool's output for the same input
// changes, so that stores made by different builds stay comparable.
const Version = step.Version

// finish maps a tool's error to its exit code, printing it once.
func finish(env *cli.Env, err error) int {
	// Everything is written: closing stdout now tells the next stage of a
	// pipeline (we-step | we-resample) that its input is complete while
	// this process is still being torn down.
	if f, ok := env.Stdout.(*os.File); ok {
		f.Close()
	}
	if errors.Is(err, cli.ErrHelp) {
		return cli.ExitOK
	}
	return env.Fail(err)
}
