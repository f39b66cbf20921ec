// Package needs lets a test require what it runs outside Go: a program,
// a Python module, a file a Debian package installs. What is missing fails
// the test in CI ($CI set: scripts/test.sh installs everything the tests
// need, so a missing piece is a broken setup) and skips it elsewhere with a
// message that says what did not run and how to get it.
package needs

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python is the interpreter the tests use: Debian's, whose packages
// (python3-simtk, python3-mdtraj, …) scripts/test.sh installs.
const Python = "/usr/bin/python3"

// Missing fails t in CI and skips it elsewhere, because what (installed by
// the Debian package pkg) is not available: err says how it failed.
func Missing(t testing.TB, what, pkg string, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required in CI ($CI set) and is missing: %v (scripts/test.sh installs it: apt-get install -y %s)", what, err, pkg)
	}
	t.Skipf("SKIPPED %s: %s is missing (%v), so this test did not run (it fails when $CI is set); apt-get install -y %s, or run scripts/test.sh as root", t.Name(), what, err, pkg)
}

// Program returns the path of prog, from the Debian package pkg.
func Program(t testing.TB, prog, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		Missing(t, prog, pkg, err)
	}
	return p
}

// Modules returns Python once it imports every module; pkg are the
// Debian packages that provide them.
func Modules(t testing.TB, pkg string, modules ...string) string {
	t.Helper()
	Command(t, "Python with "+strings.Join(modules, ", "), pkg, Python, "-c", "import "+strings.Join(modules, ", "))
	return Python
}

// File requires the file at path, from the Debian package pkg.
func File(t testing.TB, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, path, pkg, err)
	}
}

// Command requires that cmd runs and exits 0: what it proves is
// available is named by what, provided by the Debian package pkg.
func Command(t testing.TB, what, pkg string, cmd ...string) {
	t.Helper()
	out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
	if err != nil {
		if s := strings.TrimSpace(string(out)); s != "" {
			lines := strings.Split(s, "\n")
			err = &cmdError{err, lines[len(lines)-1]}
		}
		Missing(t, what, pkg, err)
	}
}

// cmdError is a failed command with the last line of its output.
type cmdError struct {
	err  error
	last string
}

func (e *cmdError) Error() string { return e.err.Error() + ": " + e.last }
