package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunInterrupted interrupts we-run (SIGINT) in the middle of its run:
// it exits 130 saying how to resume, keeps a run record with status
// interrupted, and the same command run again ends at the hash of an
// uninterrupted run. A cycle takes about 0.2 s of CPU (48 walkers × 10⁵
// steps at 50 ns), so six cycles remain when the signal is sent; should
// the run still finish first on a strange machine, the test starts over
// in a fresh store (up to three times).
func TestRunInterrupted(t *testing.T) {
	dir := t.TempDir()
	const steps = "100000"
	var st, h string
	var args, log []string
	for attempt := 1; ; attempt++ {
		st = filepath.Join(dir, fmt.Sprintf("s%d.store", attempt))
		h = tool(t, st, "we-init", "--system", "lj-pair", "--walkers", "48", "--seed", "4")
		args = concurrentRun(st, h, 8, "--steps", steps)
		var finished bool
		log, finished = interruptRun(t, dir, args)
		if !finished {
			break
		}
		if attempt == 3 {
			t.Fatalf("in %d attempts we-run finished before SIGINT reached it", attempt)
		}
		t.Logf("attempt %d: the run finished before the signal; starting over", attempt)
	}
	if last := log[len(log)-1]; !strings.Contains(strings.Join(log, "\n"), "run the same command again to resume") {
		t.Fatalf("no hint to resume; last line %q", last)
	}
	var rec struct{ Status string }
	lines := strings.Split(strings.TrimSpace(run(t, "", "we-ls", "--store", st, "runs", "--json")), "\n")
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec.Status != "interrupted" {
		t.Fatalf("run record %q: %v", lines[0], err)
	}
	fsckClean(t, st)

	again := weRun(t, dir, args...)
	alone := filepath.Join(dir, "alone.store")
	tool(t, alone, "we-init", "--system", "lj-pair", "--walkers", "48", "--seed", "4")
	if want := weRun(t, dir, concurrentRun(alone, h, 8, "--steps", steps)...); again != want {
		t.Fatalf("resumed run ended at %s, an uninterrupted one at %s", again, want)
	}
}

// interruptRun runs we-run with args and sends SIGINT when it logs its
// second cycle. It returns the log and whether the run finished (exit 0)
// before the signal took effect; any exit but 0 and 130 fails the test.
func interruptRun(t *testing.T, dir string, args []string) ([]string, bool) {
	t.Helper()
	c := command(dir, "we-run", args...)
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var log []string
	signalled := false
	for sc.Scan() {
		log = append(log, sc.Text())
		if !signalled && strings.Contains(sc.Text(), "we-run: cycle 2:") {
			c.Process.Signal(syscall.SIGINT)
			signalled = true
		}
	}
	err = c.Wait()
	if signalled && err == nil {
		return log, true
	}
	var ee *exec.ExitError
	if !signalled || !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("signalled %v, exit %v; stderr:\n%s", signalled, err, strings.Join(log, "\n"))
	}
	return log, false
}

// TestRunBudget: with --budget, cycles start only while the budget lasts
// and a started cycle is finished (wepy's run_simulation_by_time).
func TestRunBudget(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "s.store")
	h := tool(t, st, "we-init", "--system", "lj-pair", "--walkers", "8")
	t0 := time.Now()
	c := command(dir, "we-run", "--store", st, "--budget", "0.5", "--steps", "2000", h)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "we-run: cycle 1:") || time.Since(t0) < 500*time.Millisecond {
		t.Fatalf("ran for %v:\n%s", time.Since(t0), s)
	}
	var rec struct {
		Status string
		Cycles int
	}
	lines := strings.Split(strings.TrimSpace(run(t, "", "we-ls", "--store", st, "runs", "--json")), "\n")
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec.Status != "done" || rec.Cycles < 1 {
		t.Fatalf("run record %q: %v", lines[0], err)
	}
}
