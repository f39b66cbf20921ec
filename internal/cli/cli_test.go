package cli

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/store"
)

func testEnv(stdin string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Env{Name: "we-test", Doc: "manual\n", Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string {
			if k == "WE_STORE" {
				return "env.store"
			}
			return ""
		}}, &out, &errb
}

// Flags are accepted before, between and after arguments; "--" ends them.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  []string
		json bool
		n    int
	}{
		{args: []string{"walkers", "HASH", "--json"}, pos: []string{"walkers", "HASH"}, json: true},
		{args: []string{"--json", "walkers", "-n", "3", "HASH"}, pos: []string{"walkers", "HASH"}, json: true, n: 3},
		{args: []string{"a", "--", "--json", "b"}, pos: []string{"a", "--json", "b"}},
		{args: nil, pos: nil},
	} {
		env, _, _ := testEnv("")
		fs, _ := env.FlagSet()
		j := fs.Bool("json", false, "")
		n := fs.Int("n", 0, "")
		pos, err := env.Parse(fs, tc.args)
		if err != nil || !reflect.DeepEqual(pos, tc.pos) || *j != tc.json || *n != tc.n {
			t.Errorf("Parse(%q) = %q, json %v, n %d, %v; want %q, %v, %d", tc.args, pos, *j, *n, err, tc.pos, tc.json, tc.n)
		}
	}
}

func TestParseErrors(t *testing.T) {
	env, out, _ := testEnv("")
	fs, _ := env.FlagSet()
	if _, err := env.Parse(fs, []string{"-h"}); !errors.Is(err, ErrHelp) || out.String() != "manual\n" {
		t.Errorf("-h: %v, printed %q", err, out.String())
	}
	fs, _ = env.FlagSet()
	_, err := env.Parse(fs, []string{"--nope"})
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Errorf("unknown flag: %v, want a usage error", err)
	}
}

func TestFailExitCodes(t *testing.T) {
	env, _, errb := testEnv("")
	if code := env.Fail(Usagef("bad %s", "flag")); code != ExitUsage {
		t.Errorf("usage error: exit %d", code)
	}
	if !strings.HasPrefix(errb.String(), "we-test: bad flag\n") {
		t.Errorf("stderr %q", errb.String())
	}
	errb.Reset()
	if code := env.Fail(errors.New("load snapshot 3fa2: gone")); code != ExitFailure || errb.String() != "we-test: load snapshot 3fa2: gone\n" {
		t.Errorf("failure: exit %d, stderr %q", code, errb.String())
	}
	if code := env.Fail(nil); code != ExitOK {
		t.Errorf("nil: exit %d", code)
	}
}

func TestInputsAndStoreDir(t *testing.T) {
	env, _, _ := testEnv("  aaaaaaaa\n bbbbbbbbbb\tCCCCCCCC \n")
	in, err := env.Inputs(nil)
	if err != nil || !reflect.DeepEqual(in, []string{"aaaaaaaa", "bbbbbbbbbb", "CCCCCCCC"}) {
		t.Errorf("stdin words: %q, %v", in, err)
	}
	if in, _ := env.Inputs([]string{"0123456789"}); !reflect.DeepEqual(in, []string{"0123456789"}) {
		t.Errorf("arguments win over stdin: %q", in)
	}
	if _, err := env.OneInput([]string{"aaaaaaaa", "bbbbbbbb"}); err == nil {
		t.Error("two inputs: no error")
	}
	// Anything but a hash or a prefix of 8 to 64 hex digits is a usage
	// error, from the arguments or from stdin.
	for _, bad := range []string{"zzzz", "aaaa", "0123456z", strings.Repeat("a", 65), "-1"} {
		_, err := env.Inputs([]string{"aaaaaaaa", bad})
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "is not a hash") {
			t.Errorf("Inputs(%q): %v, want a usage error", bad, err)
		}
		env, _, errb := testEnv(bad + "\n")
		if _, err := env.Inputs(nil); env.Fail(err) != ExitUsage {
			t.Errorf("%q from stdin: %v, stderr %q", bad, err, errb.String())
		}
	}
	// A bad hash found by the store, wrapped, is a usage error too.
	if code := env.Fail(fmt.Errorf("load: %w", store.CheckPrefix("zz"))); code != ExitUsage {
		t.Errorf("ErrBadHash: exit %d", code)
	}
	if d := env.StoreDir("flag.store"); d != "flag.store" {
		t.Errorf("flag: %s", d)
	}
	if d := env.StoreDir(""); d != "env.store" {
		t.Errorf("$WE_STORE: %s", d)
	}
	env.Getenv = func(string) string { return "" }
	if d := env.StoreDir(""); d != "we.store" {
		t.Errorf("default: %s", d)
	}
}

func TestManual(t *testing.T) {
	src := "// we-x does things.\n//\n//\twe-x [flags]\npackage main\n"
	if got, want := Manual(src), "we-x does things.\n\n\twe-x [flags]\n"; got != want {
		t.Errorf("Manual = %q, want %q", got, want)
	}
}
