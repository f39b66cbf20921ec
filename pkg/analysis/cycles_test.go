package analysis

import (
	"strings"
	"testing"
)

func TestNewRun(t *testing.T) {
	var h history
	h.init(0, 0)
	h.step(10, 0.5, 1.2)
	h.resample(0, 1) // cycle 0: walker 1 (weight 0.5) warped
	h.step(5, 0.1, 0.2)
	h.step(5, 0.3, 0.4) // two steps in one cycle
	h.resample(0)       // cycle 1: nothing
	h.resample(0)       // a resampling without dynamics: cycle 2 of 0 steps
	h.step(7, 0.9, 1.5) // cycle 3 not closed
	r, err := NewRun(h.entries, 0.002)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cycles) != 4 || r.Steps != 27 || r.Resamplings != 3 {
		t.Fatalf("%d cycles, %d steps, %d resamplings", len(r.Cycles), r.Steps, r.Resamplings)
	}
	// τ: the 20 steps before the last resampling over 3 resamplings.
	if want := 20.0 / 3 * 0.002; r.Tau != want {
		t.Errorf("τ %v, want %v", r.Tau, want)
	}
	for i, c := range []struct {
		index  uint64
		steps  int
		warped float64
		closed bool
	}{{0, 10, 0.5, true}, {1, 10, 0, true}, {2, 0, 0, true}, {3, 7, 0, false}} {
		got := r.Cycles[i]
		if got.Index != c.index || got.Steps != c.steps || got.Warped != c.warped || (got.Resample != nil) != c.closed {
			t.Errorf("cycle %d: %+v", i, got)
		}
	}
	if r.Cycles[1].End.Walkers[0].Obs["x"] != 0.3 || r.Cycles[1].Start.Walkers[1].Obs["x"] != 0 {
		t.Error("cycle 1 does not start after the warp and end after its second step")
	}
	if r.Cycles[2].End != r.Cycles[2].Start {
		t.Error("a cycle without dynamics does not end where it started")
	}
	if got := r.WarpedPerCycle(); len(got) != 3 || got[0] != 0.5 || got[1] != 0 || got[2] != 0 {
		t.Errorf("warped per cycle %v", got)
	}
	if r.Warps() != 1 || len(r.Closed()) != 3 {
		t.Errorf("%d warps, %d closed cycles", r.Warps(), len(r.Closed()))
	}
	if w := Window(r.Cycles, 1, 3); len(w) != 2 || w[0].Index != 1 {
		t.Errorf("window [1, 3): %d cycles", len(w))
	}
}

func TestNewRunErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(h *history)
		want string
	}{
		{"steps not a number", func(h *history) { h.last().Op.Params["steps"] = "ten" }, `op.params.steps "ten" is not a positive step count`},
		{"steps missing", func(h *history) { delete(h.last().Op.Params, "steps") }, `op.params.steps "" is not`},
		{"walker out of its slot", func(h *history) { h.last().Walkers[0].Parent = 1 }, "walker 0 continues walker 1, want 0"},
		{"walker lost", func(h *history) { h.last().Walkers = h.last().Walkers[:1] }, "1 walkers after 2"},
	} {
		var h history
		h.init(0, 0)
		h.step(10, 0.5, 1.2)
		c.edit(&h)
		_, err := NewRun(h.entries, 0.002)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), h.entries[1].Hash.Short()) {
			t.Errorf("%s: error %v, want one naming the snapshot and %q", c.name, err, c.want)
		}
	}
	var h history
	h.init(0)
	h.step(1, 0)
	h.entries = h.entries[1:] // a history cut after its first snapshot
	if _, err := NewRun(h.entries, 0.002); err == nil {
		t.Error("a history that starts with a step is accepted")
	}
}

func TestTargetFluxes(t *testing.T) {
	var h history
	h.init(0, 0, 0)
	h.step(1, 1.5, 0, 2)
	h.resample(0, 0, 2)
	h.last().Op.Params = map[string]string{"warp": "x>=1.0;y<0"}
	h.last().Warps[1].Cond = "z>5" // a condition not in the params
	h.step(1, 0, 0, 0)
	h.resample(0)
	r, _ := NewRun(h.entries, 1)
	targets, flux := TargetFluxes(r.Closed())
	if len(targets) != 3 || targets[0] != "x>=1" || targets[1] != "y<0" || targets[2] != "z>5" {
		t.Fatalf("targets %q", targets)
	}
	third := 1.0 / 3
	if flux[0][0] != third || flux[1][0] != 0 || flux[2][0] != third || flux[0][1] != 0 {
		t.Errorf("flux %v", flux)
	}
}
