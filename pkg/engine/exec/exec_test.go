package exec_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/engine/exec"
	"github.com/wepipe/wepipe/pkg/engine/exec/exectest"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/step"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/system"
)

// TestMain makes the test binary the fake engine when it is started as
// one (exectest).
func TestMain(m *testing.M) {
	if exectest.Active() {
		os.Exit(exectest.Main())
	}
	os.Exit(m.Run())
}

// fakeEnv makes the processes this test starts the fake engine with
// behaviour b, their scratch and marker files in temporary directories.
func fakeEnv(t *testing.T, b string) {
	t.Helper()
	for _, kv := range exectest.Env(b) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("WE_FAKE_DIR", t.TempDir())
	t.Setenv("WE_SCRATCH", t.TempDir())
}

// initExec writes the built-in system name run by the exec engine with
// command (the test binary when nil), mode and time limit, and an initial
// snapshot of n walkers.
func initExec(t *testing.T, name string, n int, command []string, mode string, timeout float64) (*store.Store, record.Hash) {
	t.Helper()
	built, err := system.Builtins[name].Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	if command == nil {
		command = []string{os.Args[0]}
	}
	built.System.Engine = "exec"
	built.System.Exec = &record.Exec{Command: command, Mode: mode, Timeout: timeout}
	return initSystem(t, built, n)
}

func initSystem(t *testing.T, built *system.Built, n int) (*store.Store, record.Hash) {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	var states []record.Hash
	for _, s := range built.States {
		h, err := st.Put(s)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, h)
	}
	sh, err := st.Put(built.System)
	if err != nil {
		t.Fatal(err)
	}
	snap := record.NewSnapshot()
	snap.System = sh
	snap.Op = record.Op{Tool: "test", Version: "1"}
	for i := range n {
		k := i % len(states)
		snap.Walkers = append(snap.Walkers, record.Walker{State: states[k], Weight: 1 / float64(n), Parent: -1, Obs: built.States[k].Obs})
	}
	in, err := st.Put(snap)
	if err != nil {
		t.Fatal(err)
	}
	return st, in
}

func load[T record.Object](t *testing.T, st *store.Store, h record.Hash) T {
	t.Helper()
	o, err := store.LoadAs[T](st, h)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// walkerStates lists a snapshot's walker states.
func walkerStates(t *testing.T, st *store.Store, h record.Hash) []record.Hash {
	var out []record.Hash
	for _, w := range load[*record.Snapshot](t, st, h).Walkers {
		out = append(out, w.State)
	}
	return out
}

func checkStore(t *testing.T, st *store.Store) {
	t.Helper()
	rep, err := st.Check(store.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("store check: %v", rep.Problems)
	}
}

// TestEcho: the no-op engine returns the state it was given; wepipe
// advances the step and the time, recomputes the observables and makes
// the frames' steps, in both modes.
func TestEcho(t *testing.T) {
	for _, mode := range []string{"", record.ModeSegment} {
		t.Run("mode="+mode, func(t *testing.T) {
			fakeEnv(t, "echo")
			st, in := initExec(t, "lj-pair", 3, nil, mode, 0)
			out, err := step.Snapshot(context.Background(), st, in, step.Options{Steps: 10, Frames: 2, Workers: 2, Shards: 1})
			if err != nil {
				t.Fatal(err)
			}
			snap := load[*record.Snapshot](t, st, out)
			s0 := load[*record.Snapshot](t, st, in)
			init := load[*record.State](t, st, s0.Walkers[0].State)
			for i, w := range snap.Walkers {
				s := load[*record.State](t, st, w.State)
				if s.Step != 10 || s.Time != 10*0.002 || s.Obs["r"] != init.Obs["r"] || w.Obs["r"] != init.Obs["r"] {
					t.Errorf("walker %d: step %d time %v obs %v, want 10, 0.02, r=%v", i, s.Step, s.Time, s.Obs, init.Obs["r"])
				}
				if !equal(s.Positions.Data, init.Positions.Data) {
					t.Errorf("walker %d: positions changed", i)
				}
				seg := load[*record.Segment](t, st, *w.Segment)
				if len(seg.Steps) != 2 || seg.Steps[0] != 5 || seg.Steps[1] != 10 || seg.Obs["r"][1] != init.Obs["r"] {
					t.Errorf("walker %d: segment steps %v obs %v", i, seg.Steps, seg.Obs)
				}
			}
			checkStore(t, st)
		})
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEngineObs: observables an engine reports go to the state and to
// the snapshot's walkers, beside the system's.
func TestEngineObs(t *testing.T) {
	fakeEnv(t, "echo,obs")
	st, in := initExec(t, "lj-pair", 3, nil, "", 0)
	out, err := step.Snapshot(context.Background(), st, in, step.Options{Steps: 5, Workers: 2, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range load[*record.Snapshot](t, st, out).Walkers {
		s := load[*record.State](t, st, w.State)
		if w.Obs["slot"] != float64(i) || s.Obs["slot"] != float64(i) || s.Obs["r"] == 0 || w.Obs["r"] != s.Obs["r"] {
			t.Errorf("walker %d: snapshot obs %v, state obs %v", i, w.Obs, s.Obs)
		}
	}
	checkStore(t, st)
}

// TestDeterministic: an engine that is a pure function of its input
// state and seed gives the same walker states for any number of workers
// and for any shard (the seeds come from the walkers' streams, not from
// the worker that runs them). The two modes are compared in TestModesAgree
// (their systems differ in exec.mode, hence their streams).
func TestDeterministic(t *testing.T) {
	fakeEnv(t, "langevin")
	want := map[string][]record.Hash{}
	for _, c := range []struct {
		mode            string
		workers, shards int
	}{{"", 1, 1}, {"", 3, 1}, {"", 2, 2}, {record.ModeSegment, 2, 1}, {record.ModeSegment, 1, 3}} {
		st, in := initExec(t, "double-well", 7, nil, c.mode, 0)
		var got []record.Hash
		for i := range c.shards {
			h, err := step.Snapshot(context.Background(), st, in, step.Options{Steps: 50, Workers: c.workers, Shard: i, Shards: c.shards})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, walkerStates(t, st, h)...)
		}
		w, ok := want[c.mode]
		if !ok {
			want[c.mode] = got
			// The walkers moved, each its own way.
			if got[0] == got[1] || load[*record.State](t, st, got[0]).Obs["x"] == -0.5 {
				t.Fatal("the walkers did not move apart")
			}
			continue
		}
		for i := range w {
			if got[i] != w[i] {
				t.Fatalf("mode %q, %d workers, %d shards: walker %d state %s, want %s", c.mode, c.workers, c.shards, i, got[i].Short(), w[i].Short())
			}
		}
		checkStore(t, st)
	}
}

// TestFailures: each way an engine can fail stops the step with an error
// that names the walker, says what happened and shows the engine's last
// words; the store stays valid with the walkers done before, and a rerun
// with a sound engine resumes them.
func TestFailures(t *testing.T) {
	clean := map[string]record.Hash{} // a clean run's result by mode and frames
	for _, c := range []struct {
		mode, fault string
		frames      int
		want        []string
	}{
		{"", "exit@hello", 0, []string{"start engine worker 0", "stopped before answering", "exit status 3", "fake engine: at hello: exiting"}},
		{"", "error@hello", 0, []string{"start engine worker 0", "the engine refused", "fake engine: at hello"}},
		{"", "exit@2", 0, []string{"walker 2:", "stopped before answering (exit status 3)", "fake engine: at 2: exiting"}},
		{"", "crash@2", 0, []string{"walker 2:", "signal: killed", "fake engine: at 2: about to crash"}},
		{"", "hang@2", 0, []string{"walker 2:", "no answer within 500ms (exec.timeout)", "fake engine: at 2: hanging"}},
		{"", "garbage@2", 0, []string{"walker 2:", "malformed answer", "the engine was killed", "fake engine: at 2: writing garbage"}},
		{"", "huge@2", 0, []string{"walker 2:", "malformed answer: bad message length: 2147483648 bytes", "fake engine: at 2: claiming"}},
		{"", "stdout@2", 0, []string{"walker 2:", "malformed answer: bad message length", "fake engine: at 2: printing on stdout"}},
		{"", "nan@2", 0, []string{"walker 2:", "result is invalid: positions: atom 1 is not finite (NaN)", "fake engine: at 2: returning a NaN"}},
		{"", "atoms@2", 0, []string{"walker 2:", "positions: 1 atoms, the system has 2", "fake engine: at 2: returning an atom too few"}},
		{"", "frames@2", 2, []string{"walker 2:", "frames: shape [1 2 3], want [2, 2, 3]", "a frame too few"}},
		{"", "error@2", 0, []string{"walker 2: the engine failed: integration failed", "fake engine: at 2: reporting an error"}},
		{"", "between@1", 0, []string{"walker 2:", "stopped before answering (exit status 0)", "fake engine: at 1: answering, then exiting"}},
		{record.ModeSegment, "exit@2", 0, []string{"walker 2:", "the engine failed (exit status 3)", "fake engine: at 2: exiting", "its files are in"}},
		{record.ModeSegment, "crash@2", 0, []string{"walker 2:", "signal: killed", "fake engine: at 2: about to crash"}},
		{record.ModeSegment, "hang@2", 0, []string{"walker 2:", "no result within 500ms (exec.timeout)", "fake engine: at 2: hanging"}},
		{record.ModeSegment, "garbage@2", 0, []string{"walker 2:", "it left no valid state: out.cbor:", "fake engine: at 2: writing garbage"}},
		{record.ModeSegment, "nan@2", 0, []string{"walker 2:", "positions: atom 1 is not finite", "returning a NaN"}},
		{record.ModeSegment, "atoms@2", 0, []string{"walker 2:", "positions: 1 atoms, the system has 2"}},
		{record.ModeSegment, "frames@2", 2, []string{"walker 2:", "frames: shape [1 2 3], want [2, 2, 3]"}},
		{record.ModeSegment, "error@2", 0, []string{"walker 2:", "the engine failed (exit status 1)", "integration failed"}},
	} {
		t.Run(c.mode+"/"+c.fault, func(t *testing.T) {
			fakeEnv(t, "langevin,"+c.fault)
			st, in := initExec(t, "lj-pair", 4, nil, c.mode, 0.5)
			opt := step.Options{Steps: 20, Frames: c.frames, Workers: 1, Shards: 1, CommitEvery: time.Nanosecond}
			_, err := step.Snapshot(context.Background(), st, in, opt)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			checkStore(t, st)
			if hs, _ := st.List(record.KindSnapshot); len(hs) != 1 {
				t.Errorf("%d snapshots, want the input alone", len(hs))
			}
			// A sound engine resumes: the walkers done before the failure
			// are not run again, and the result is a clean run's.
			t.Setenv("WE_FAKE", "langevin")
			resumed := -1
			opt.Resumed = func(done, total int) { resumed = done }
			h, err := step.Snapshot(context.Background(), st, in, opt)
			if err != nil {
				t.Fatal(err)
			}
			if wantDone := map[string]int{"exit@hello": -1, "error@hello": -1, "between@1": 2}[c.fault]; wantDone == 0 && resumed != 2 || wantDone != 0 && resumed != wantDone {
				t.Errorf("resumed %d walkers", resumed)
			}
			key := fmt.Sprint(c.mode, c.frames)
			want, ok := clean[key]
			if !ok {
				cst, cin := initExec(t, "lj-pair", 4, nil, c.mode, 0.5)
				opt.Resumed = nil
				if want, err = step.Snapshot(context.Background(), cst, cin, opt); err != nil {
					t.Fatal(err)
				}
				clean[key] = want
			}
			if h != want {
				t.Errorf("resumed step %s, a clean one %s", h.Short(), want.Short())
			}
			checkStore(t, st)
		})
	}
}

// TestRetries: with retries, a walker whose engine crashed, hung or
// answered garbage once runs again on a replacement process and the step
// gives a clean run's result; without, it fails.
func TestRetries(t *testing.T) {
	for _, mode := range []string{"", record.ModeSegment} {
		for _, fault := range []string{"crash@1", "hang@2", "garbage@0", "nan@3"} {
			t.Run(mode+"/"+fault, func(t *testing.T) {
				fakeEnv(t, "langevin,once,"+fault)
				// The time limit finds the hang; it is long enough that
				// a sound walker never reaches it on a loaded machine
				// (0.5 s did once, at load 12, in per-segment mode).
				st, in := initExec(t, "lj-pair", 5, nil, mode, 3)
				var retried []int
				opt := step.Options{Steps: 20, Workers: 2, Shards: 1, Retries: 1, Retrying: func(w, attempt int, err error) { retried = append(retried, w, attempt) }}
				h, err := step.Snapshot(context.Background(), st, in, opt)
				if err != nil {
					t.Fatal(err)
				}
				slot := int(fault[len(fault)-1] - '0')
				if len(retried) != 2 || retried[0] != slot || retried[1] != 1 {
					t.Errorf("retries reported %v, want [%d 1]", retried, slot)
				}
				t.Setenv("WE_FAKE", "langevin")
				clean, cin := initExec(t, "lj-pair", 5, nil, mode, 3)
				want, err := step.Snapshot(context.Background(), clean, cin, step.Options{Steps: 20, Workers: 1, Shards: 1})
				if err != nil {
					t.Fatal(err)
				}
				if h != want {
					t.Errorf("retried step %s, a clean one %s", h.Short(), want.Short())
				}
				checkStore(t, st)
			})
		}
	}
	t.Run("exhausted", func(t *testing.T) {
		fakeEnv(t, "langevin,crash@1")
		st, in := initExec(t, "lj-pair", 3, nil, "", 0)
		_, err := step.Snapshot(context.Background(), st, in, step.Options{Steps: 5, Workers: 1, Shards: 1, Retries: 2})
		if err == nil || !strings.Contains(err.Error(), "walker 1:") || !strings.Contains(err.Error(), "signal: killed") {
			t.Fatalf("error %v", err)
		}
	})
}

// TestInterrupt: cancelling a step kills a hanging engine at once and
// keeps what is done.
func TestInterrupt(t *testing.T) {
	for _, mode := range []string{"", record.ModeSegment} {
		fakeEnv(t, "langevin,hang@1")
		st, in := initExec(t, "lj-pair", 3, nil, mode, 0)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		_, err := step.Snapshot(ctx, st, in, step.Options{Steps: 5, Workers: 1, Shards: 1})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("mode %q: error %v", mode, err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("mode %q: the step took %v to stop", mode, el)
		}
		checkStore(t, st)
	}
}

// TestCommand: a program that cannot be run is an error naming it.
func TestCommand(t *testing.T) {
	fakeEnv(t, "echo")
	for _, cmd := range [][]string{{"we-no-such-engine"}, {"./no/such/engine"}} {
		st, in := initExec(t, "lj-pair", 2, cmd, "", 0)
		_, err := step.Snapshot(context.Background(), st, in, step.Options{Steps: 5, Workers: 1, Shards: 1})
		if err == nil || !strings.Contains(err.Error(), cmd[0][strings.LastIndex(cmd[0], "/")+1:]) {
			t.Errorf("%v: error %v", cmd, err)
		}
	}
}

var _ = exec.Protocol

// TestModesAgree: the same walker, state and stream give the same result
// through a worker process and through a per-segment run, frames included.
func TestModesAgree(t *testing.T) {
	fakeEnv(t, "langevin")
	built, err := system.Builtins["muller-brown"].Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	built.System.Engine = "exec"
	built.System.Exec = &record.Exec{Command: []string{os.Args[0]}}
	comp, err := system.Compile(built.System)
	if err != nil {
		t.Fatal(err)
	}
	var results []engine.State
	var frames [][]engine.Frame
	for _, segment := range []bool{false, true} {
		w, err := exec.Start(context.Background(), exec.Config{Command: []string{os.Args[0]}, Segment: segment}, comp.Engine, 1)
		if err != nil {
			t.Fatal(err)
		}
		req := engine.Request{Walker: 4, Worker: 1, Cycle: 7, Steps: 30, Frames: 3, Rand: rng.New([32]byte{1, 2, 3})}
		out, fr, err := w.Propagate(context.Background(), comp.EngineState(built.States[0]), req)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		results = append(results, out)
		frames = append(frames, fr)
	}
	a, b := results[0], results[1]
	if !equal(a.Positions, b.Positions) || !equal(a.Velocities, b.Velocities) || a.Potential != b.Potential || a.Step != 30 || b.Step != 30 || !equal(a.Obs, b.Obs) {
		t.Fatalf("worker %+v\nsegment %+v", a, b)
	}
	for k := range frames[0] {
		fa, fb := frames[0][k], frames[1][k]
		if fa.Step != uint64(10*(k+1)) || fa.Step != fb.Step || !equal(fa.Positions, fb.Positions) || !equal(fa.Obs, fb.Obs) {
			t.Fatalf("frame %d: %+v, %+v", k, fa, fb)
		}
	}
	if !equal(frames[0][2].Positions, a.Positions) {
		t.Error("the last frame is not the final state")
	}
}
