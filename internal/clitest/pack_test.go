package clitest

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fsckCount runs we-fsck on store and returns its summary's object count
// (the test fails if the store is not sound).
func fsckCount(t *testing.T, env []string, store string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "we-fsck"), "--store", store)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || len(out) > 0 {
		t.Fatalf("we-fsck %s: %v\n%s%s", store, err, out, stderr.String())
	}
	m := regexp.MustCompile(`we-fsck: (\d+ objects \([^)]*\))`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("we-fsck %s: no summary in %q", store, stderr.String())
	}
	return m[1]
}

// looseFiles counts the files under store/objects.
func looseFiles(t *testing.T, store string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(store, "objects"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// copyStore copies store src to dst (cp -a: the test's own files).
func copyStore(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
}

// TestPackKill kills we-pack with SIGKILL at random moments of its work,
// 20 times (FORMAT.md §1.6: packing is crash-safe), half of them in a
// repack (--all) of a packed store, and checks each time
// that the killed store is sound and holds every object (we-fsck), and
// that a rerun finishes the job: every object packed, no loose file left.
func TestPackKill(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir}
	base := filepath.Join(dir, "base.store")
	tool(t, env, "we-run", "--cycles", "30", "--steps", "10", "-q", "--store", base, "--init", "--system lj-pair --walkers 16")
	want := fsckCount(t, env, base)

	// How long an uninterrupted pack takes here: the kills land in
	// [0, 1.2 × that).
	probe := filepath.Join(dir, "probe.store")
	copyStore(t, base, probe)
	t0 := time.Now()
	tool(t, env, "we-pack", "--frame-size", "8192", probe)
	span := time.Since(t0) * 6 / 5
	if got := fsckCount(t, env, probe); got != want {
		t.Fatalf("packed store: %s, want %s", got, want)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, kills within %v", seed, span)
	r := rand.New(rand.NewPCG(seed, 1))
	killedBefore, killedAfter := 0, 0
	for i := range 20 {
		st := filepath.Join(dir, "k"+string(rune('a'+i))+".store")
		copyStore(t, base, st)
		args := []string{"--frame-size", "8192", st}
		if i%2 == 1 {
			// Half the kills land in a repack (--all) of a packed store
			// into a pack of other frames.
			tool(t, env, "we-pack", "--frame-size", "4096", st)
			args = append(args, "--all")
		}
		cmd := exec.Command(filepath.Join(binDir, "we-pack"), args...)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(r.Int64N(int64(span) + 1)))
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL {
			killedBefore++
		} else {
			killedAfter++ // it finished first: a sound store too
		}
		if got := fsckCount(t, env, st); got != want {
			t.Fatalf("kill %d: the killed store holds %s, want %s", i, got, want)
		}
		// A rerun finishes the job.
		tool(t, env, "we-pack", args...)
		if got := fsckCount(t, env, st); got != want {
			t.Fatalf("kill %d: after the rerun %s, want %s", i, got, want)
		}
		if n := looseFiles(t, st); n != 0 {
			t.Fatalf("kill %d: %d loose files after the rerun", i, n)
		}
		if ents, _ := os.ReadDir(filepath.Join(st, "packs")); len(ents) != 1 {
			t.Fatalf("kill %d: %d packs after the rerun, want 1", i, len(ents))
		}
		os.RemoveAll(st)
	}
	t.Logf("%d packs killed, %d finished before their kill", killedBefore, killedAfter)
	if killedBefore == 0 {
		t.Fatal("no kill landed while we-pack was at work")
	}
}

// TestPackConcurrentRun runs we-run (we-step and we-resample every cycle,
// writing loose objects) while we-pack packs the same store, several
// times over, and checks that the run ends with the hash of the same run
// in a store nobody packs, and that the store is sound and complete.
func TestPackConcurrentRun(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir}
	run := []string{"--cycles", "150", "--steps", "10", "--resampler", "revo", "-q", "--init", "--system lj-pair --walkers 16", "--", "--merge-dist", "0.0005", "--char-dist", "0.001"}
	clean := filepath.Join(dir, "clean.store")
	want := tool(t, env, "we-run", append([]string{"--store", clean}, run...)...)
	st := filepath.Join(dir, "busy.store")
	tool(t, env, "we-init", "--system", "lj-pair", "--walkers", "16", "--store", st)
	cmd := exec.Command(filepath.Join(binDir, "we-run"), append([]string{"--store", st}, run...)...)
	cmd.Env = env
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	packs := 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("we-run while packing: %v\n%s", err, stderr.String())
			}
			running = false
		default:
			args := []string{"--frame-size", "4096", st}
			if packs%3 == 2 {
				args = append(args, "--all")
			}
			tool(t, env, "we-pack", args...)
			packs++
		}
	}
	if got := strings.TrimSpace(out.String()); got != want {
		t.Fatalf("we-run while packing ended at %s, want %s", got, want)
	}
	tool(t, env, "we-pack", st)
	if got, w := fsckCount(t, env, st), fsckCount(t, env, clean); got != w {
		t.Errorf("packed store: %s, want %s", got, w)
	}
	t.Logf("%d packs during the run", packs)
}
