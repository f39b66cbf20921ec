package tools

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wepipe/wepipe/internal/inproc"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/step"
	"github.com/wepipe/wepipe/pkg/store"
)

// runTool runs a tool in process and returns its stdout, trimmed.
var runTool = inproc.Run

// TestStepWorkers runs we-step's core in process, so that the race
// detector sees its workers and its committer: the output is the same for
// any number of workers, whether the walkers are committed during the
// step (each as soon as it is done) or only at its end, every walker is
// reported to the progress callback once, and the store verifies.
func TestStepWorkers(t *testing.T) {
	var want record.Hash
	for _, c := range []struct {
		workers int
		every   time.Duration
	}{{1, time.Hour}, {3, time.Hour}, {8, time.Hour}, {3, time.Nanosecond}, {8, time.Nanosecond}} {
		// A fresh store per case (the same we-init gives the same hash),
		// so that no memo entry of an earlier case answers.
		dir := t.TempDir() + "/s"
		h := runTool(t, Init, "--store", dir, "--system", "lj-pair", "--walkers", "24", "--seed", "3")
		in, err := record.ParseHash(h)
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		var calls, last atomic.Int64
		opt := step.Options{Steps: 200, Frames: 2, Workers: c.workers, Shards: 1, CommitEvery: c.every,
			Progress: func(done, total int, steps int64, el time.Duration) {
				calls.Add(1)
				if int64(done) <= last.Load() || done > total {
					t.Errorf("progress %d of %d after %d", done, total, last.Load())
				}
				last.Store(int64(done))
			}}
		got, err := step.Snapshot(context.Background(), st, in, opt)
		if err != nil {
			t.Fatalf("workers %d, commits every %v: %v", c.workers, c.every, err)
		}
		if n := calls.Load(); n != 24 {
			t.Errorf("workers %d: progress called %d times, want 24", c.workers, n)
		}
		if want.IsZero() {
			want = got
		} else if got != want {
			t.Errorf("workers %d, commits every %v: snapshot %s, want %s", c.workers, c.every, got.Short(), want.Short())
		}
		rep, err := st.Check(store.CheckOptions{})
		if err != nil || len(rep.Problems) > 0 {
			t.Errorf("workers %d: store check: %v %v", c.workers, err, rep.Problems)
		}
	}
}
