package step

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/system"
)

// countingEngine is the Langevin engine behind engine.Starter, counting
// its workers' starts, walkers and closes; failStart makes Start fail.
type countingEngine struct {
	engine.Langevin
	starts, walkers, closes atomic.Int64
	failStart               bool
}

func (e *countingEngine) Start(_ context.Context, sys *engine.System, worker int) (engine.Worker, error) {
	if e.failStart {
		return nil, errors.New("no device")
	}
	e.starts.Add(1)
	return &countingWorker{e, sys}, nil
}

type countingWorker struct {
	e   *countingEngine
	sys *engine.System
}

func (w *countingWorker) Propagate(ctx context.Context, in engine.State, req engine.Request) (engine.State, []engine.Frame, error) {
	w.e.walkers.Add(1)
	return w.e.Langevin.Propagate(ctx, w.sys, in, req)
}

func (w *countingWorker) Close() error { w.e.closes.Add(1); return nil }

var counting = &countingEngine{}

func init() { engine.Register("step-test-counting", counting) }

// initStore writes the double well with engine name eng and an initial
// snapshot of n walkers into a new store.
func initStore(t *testing.T, eng string, n int) (*store.Store, record.Hash) {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	built, err := system.Builtins["double-well"].Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	built.System.Engine = eng
	s0, err := st.Put(built.States[0])
	if err != nil {
		t.Fatal(err)
	}
	sh, err := st.Put(built.System)
	if err != nil {
		t.Fatal(err)
	}
	snap := record.NewSnapshot()
	snap.System = sh
	snap.Op = record.Op{Tool: "test", Version: Version, Params: map[string]string{}}
	for range n {
		snap.Walkers = append(snap.Walkers, record.Walker{State: s0, Weight: 1 / float64(n), Parent: -1, Obs: built.States[0].Obs})
	}
	in, err := st.Put(snap)
	if err != nil {
		t.Fatal(err)
	}
	return st, in
}

// TestWorkersStartOnce: an engine.Starter is started once per worker per
// step, not once per walker, every worker is closed, every walker is
// propagated once, and the snapshot does not depend on the number of
// workers.
func TestWorkersStartOnce(t *testing.T) {
	var want record.Hash
	for _, workers := range []int{1, 3, 7} {
		counting.starts.Store(0)
		counting.walkers.Store(0)
		counting.closes.Store(0)
		st, in := initStore(t, "step-test-counting", 10)
		h, err := Snapshot(context.Background(), st, in, Options{Steps: 20, Workers: workers, Shards: 1})
		if err != nil {
			t.Fatal(err)
		}
		if s, c, w := counting.starts.Load(), counting.closes.Load(), counting.walkers.Load(); s != int64(workers) || c != s || w != 10 {
			t.Fatalf("%d workers: %d starts, %d closes, %d walkers", workers, s, c, w)
		}
		if want.IsZero() {
			want = h
		} else if h != want {
			t.Fatalf("%d workers: %s, want %s", workers, h.Short(), want.Short())
		}
	}
}

// TestWorkerStartFails: a worker that cannot start fails the step with an
// error naming it, and nothing but the input is in the store.
func TestWorkerStartFails(t *testing.T) {
	counting.failStart = true
	defer func() { counting.failStart = false }()
	st, in := initStore(t, "step-test-counting", 4)
	_, err := Snapshot(context.Background(), st, in, Options{Steps: 5, Workers: 2, Shards: 1})
	if err == nil || !strings.Contains(err.Error(), "start engine worker") || !strings.Contains(err.Error(), "no device") {
		t.Fatalf("error %v", err)
	}
	if hs, _ := st.List(record.KindSnapshot); len(hs) != 1 {
		t.Fatalf("%d snapshots in the store, want the input alone", len(hs))
	}
}

func TestOptionsCheck(t *testing.T) {
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{Steps: 1, Workers: 1, Shards: 1}, ""},
		{Options{Steps: 0, Workers: 1, Shards: 1}, "steps must be positive"},
		{Options{Steps: 2, Frames: 3, Workers: 1, Shards: 1}, "frames"},
		{Options{Steps: 2, Workers: 0, Shards: 1}, "workers"},
		{Options{Steps: 2, Workers: 1, Shard: 2, Shards: 2}, "shard 2 of 2"},
	} {
		err := c.opt.Check()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.opt, err, c.want)
		}
	}
}

// flakyEngine is the Langevin engine failing walker 1 the first failures
// times it is asked, or returning one atom too many when extra is set.
type flakyEngine struct {
	engine.Langevin
	mu       sync.Mutex
	failures int
	extra    bool
}

func (e *flakyEngine) Propagate(ctx context.Context, sys *engine.System, in engine.State, req engine.Request) (engine.State, []engine.Frame, error) {
	out, fr, err := e.Langevin.Propagate(ctx, sys, in, req)
	e.mu.Lock()
	defer e.mu.Unlock()
	if req.Walker == 1 && e.failures > 0 {
		e.failures--
		return engine.State{}, nil, errors.New("walker 1: engine crashed")
	}
	if e.extra {
		out.Positions = append(out.Positions, 0, 0, 0)
	}
	return out, fr, err
}

var flaky = &flakyEngine{}

func init() { engine.Register("step-test-flaky", flaky) }

// TestRetries: a walker whose engine fails is run again up to Retries
// times, with the same stream (so the result is an undisturbed run's),
// and each retry is reported; past the retries the step fails. An engine
// that returns another number of atoms fails the walker.
func TestRetries(t *testing.T) {
	st, in := initStore(t, "step-test-flaky", 4)
	want, err := Snapshot(context.Background(), st, in, Options{Steps: 10, Workers: 1, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	flaky.failures = 2
	st2, in2 := initStore(t, "step-test-flaky", 4)
	if _, err := Snapshot(context.Background(), st2, in2, Options{Steps: 10, Workers: 2, Shards: 1, Retries: 1}); err == nil || !strings.Contains(err.Error(), "walker 1: engine crashed") {
		t.Fatalf("2 failures, 1 retry: error %v", err)
	}
	flaky.failures = 2
	var reported []int
	h, err := Snapshot(context.Background(), st2, in2, Options{Steps: 10, Workers: 2, Shards: 1, Retries: 2,
		Retrying: func(w, attempt int, err error) { reported = append(reported, w, attempt) }})
	if err != nil {
		t.Fatal(err)
	}
	if h != want || len(reported) != 4 || reported[0] != 1 || reported[3] != 2 {
		t.Errorf("retried step %s (want %s), reported %v", h.Short(), want.Short(), reported)
	}
	if err := (Options{Steps: 1, Workers: 1, Shards: 1, Retries: -1}).Check(); err == nil {
		t.Error("negative retries accepted")
	}
	flaky.extra = true
	defer func() { flaky.extra = false }()
	st3, in3 := initStore(t, "step-test-flaky", 2)
	if _, err := Snapshot(context.Background(), st3, in3, Options{Steps: 10, Workers: 1, Shards: 1}); err == nil || !strings.Contains(err.Error(), "walker 0: the engine returned 6 coordinates for 1 atoms") {
		t.Errorf("short state: error %v", err)
	}
}

// TestCarry: a step that takes its input states from a Carry gives the
// snapshot a step reading them from the store gives, and does not read
// them (they are removed from the store before it runs); without Next the
// carried states are not served.
func TestCarry(t *testing.T) {
	built, err := system.Builtins["double-well"].Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := built.System.Engine
	opt := Options{Steps: 5, Workers: 2, Shards: 1, Seed: 3}

	st, in := initStore(t, eng, 6)
	h1, err := Snapshot(context.Background(), st, in, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Snapshot(context.Background(), st, h1, opt)
	if err != nil {
		t.Fatal(err)
	}

	st, in = initStore(t, eng, 6)
	opt.Carry = NewCarry()
	g1, err := Snapshot(context.Background(), st, in, opt)
	if err != nil {
		t.Fatal(err)
	}
	if g1 != h1 {
		t.Fatalf("first step with a carry: %s, want %s", g1.Short(), h1.Short())
	}
	snap, err := store.LoadAs[*record.Snapshot](st, g1)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range snap.Walkers {
		if err := os.Remove(st.Path(record.KindState, w.State)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Run(context.Background(), st, g1, snap, Options{Steps: 5, Workers: 2, Shards: 1, Seed: 3, Carry: NewCarry()}); err == nil {
		t.Fatal("a step whose input states are gone and not carried succeeded")
	}
	opt.Carry.Next()
	got, err := Run(context.Background(), st, g1, snap, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("second step with a carry: %s, want %s", got.Short(), want.Short())
	}
}
