package needs

import (
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how the test would have ended.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "TestX" }
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = format
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skip = format
	runtime.Goexit()
}

// run calls f with a recorder in a goroutine of its own, as the testing
// package runs a test, so that Fatalf and Skipf can end it.
func run(t *testing.T, f func(testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// What is missing fails the test in CI and skips it elsewhere; what is
// there lets it run.
func TestMissing(t *testing.T) {
	missing := func(tb testing.TB) { Program(tb, "no-such-program-wepipe", "nothing") }
	t.Setenv("CI", "")
	if r := run(t, missing); r.skip == "" || r.fatal != "" {
		t.Errorf("outside CI: skip %q, fatal %q", r.skip, r.fatal)
	}
	t.Setenv("CI", "true")
	if r := run(t, missing); r.fatal == "" || !strings.Contains(r.fatal, "apt-get install") {
		t.Errorf("in CI: skip %q, fatal %q", r.skip, r.fatal)
	}
	if r := run(t, func(tb testing.TB) { Command(tb, "false", "coreutils", "false") }); r.fatal == "" {
		t.Error("a failing command is not missing")
	}
	if r := run(t, func(tb testing.TB) { Command(tb, "true", "coreutils", "true"); File(tb, "/", "base-files") }); r.fatal != "" || r.skip != "" {
		t.Errorf("what is there: skip %q, fatal %q", r.skip, r.fatal)
	}
}
