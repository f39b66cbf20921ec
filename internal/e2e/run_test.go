package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
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
// uninterrupted run.
func TestRunInterrupted(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "s.store")
	h := tool(t, st, "we-init", "--system", "lj-pair", "--walkers", "48", "--seed", "4")
	args := concurrentRun(st, h, 8)
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
	var ee *exec.ExitError
	if !signalled || !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("signalled %v, exit %v; stderr:\n%s", signalled, err, strings.Join(log, "\n"))
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
	if want := weRun(t, dir, concurrentRun(alone, h, 8)...); again != want {
		t.Fatalf("resumed run ended at %s, an uninterrupted one at %s", again, want)
	}
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
