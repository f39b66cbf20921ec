package analysis

import (
	"fmt"
	"strconv"

	"github.com/wepipe/wepipe/pkg/lineage"
	"github.com/wepipe/wepipe/pkg/record"
)

// Cycle is one cycle of a run: the ensemble that entered the dynamics, the
// ensemble after it, and the resampling that closed the cycle (FORMAT.md
// §5.4).
type Cycle struct {
	// Index is the cycle number: the cycle field of the snapshots made
	// during its dynamics and of its warp records.
	Index uint64
	// Steps is the number of dynamics steps per walker in the cycle (the
	// sum over its we-step snapshots).
	Steps int
	// Start is the ensemble the dynamics started from: the we-init,
	// we-resample or pooling we-merge snapshot before the first we-step.
	Start *record.Snapshot
	// End is the ensemble after the dynamics (the last we-step snapshot);
	// its walker i continues walker i of Start.
	End *record.Snapshot
	// Resample is the we-resample snapshot that closed the cycle, holding
	// its warp records and decisions; nil for a cycle whose dynamics is
	// the end of the history.
	Resample *record.Snapshot
	// Warped is the total weight of the cycle's warp records (0 when
	// Resample is nil).
	Warped float64
}

// Run is a history cut into cycles.
type Run struct {
	// Cycles are the cycles, oldest first: one per resampling (a
	// resampling with no dynamics before it closes a cycle of 0 steps
	// whose End is its Start), and a last one without Resample when the
	// history ends in dynamics.
	Cycles []Cycle
	// Steps is the number of dynamics steps per walker over the whole
	// history, that of an unfinished last cycle included.
	Steps int
	// Resamplings counts the we-resample snapshots.
	Resamplings int
	// Tau is the mean dynamics time per resampling, ps:
	//
	//	τ = (steps before the last resampling / Resamplings) · timestep
	//
	// (the steps of an unfinished last cycle are left out); 0 when the
	// history has no resampling.
	Tau float64
}

// NewRun cuts a history (oldest first, as lineage.History returns it) into
// cycles. timestep is the system's integrator time step in ps. A we-step
// snapshot whose op.params.steps is not a positive integer is an error
// naming it; so is a we-step snapshot whose walkers do not continue their
// parent's slot by slot.
func NewRun(hist []lineage.Entry, timestep float64) (Run, error) {
	var r Run
	var cur *Cycle
	var start *record.Snapshot
	closedSteps := 0 // r.Steps at the last resampling
	for _, e := range hist {
		s := e.Snap
		switch s.Op.Tool {
		case "we-step":
			n, err := strconv.Atoi(s.Op.Params["steps"])
			if err != nil || n <= 0 {
				return Run{}, fmt.Errorf("snapshot %s (we-step, cycle %d): op.params.steps %q is not a positive step count", e.Hash.Short(), s.Cycle, s.Op.Params["steps"])
			}
			if cur == nil {
				if start == nil {
					return Run{}, fmt.Errorf("snapshot %s (we-step, cycle %d) has no ensemble before it in the history", e.Hash.Short(), s.Cycle)
				}
				r.Cycles = append(r.Cycles, Cycle{Index: s.Cycle, Start: start})
				cur = &r.Cycles[len(r.Cycles)-1]
			}
			if len(s.Walkers) != len(cur.Start.Walkers) {
				return Run{}, fmt.Errorf("snapshot %s (we-step, cycle %d): %d walkers after %d", e.Hash.Short(), s.Cycle, len(s.Walkers), len(cur.Start.Walkers))
			}
			for i, w := range s.Walkers {
				if w.Parent != i {
					return Run{}, fmt.Errorf("snapshot %s (we-step, cycle %d): walker %d continues walker %d, want %d", e.Hash.Short(), s.Cycle, i, w.Parent, i)
				}
			}
			cur.Steps += n
			cur.End = s
			r.Steps += n
		case "we-resample":
			if cur == nil && start != nil {
				// Resampling without dynamics before it: a cycle of no
				// steps, so that every resampling closes one cycle.
				r.Cycles = append(r.Cycles, Cycle{Index: start.Cycle, Start: start, End: start})
				cur = &r.Cycles[len(r.Cycles)-1]
			}
			r.Resamplings++
			if cur != nil {
				cur.Resample = s
				for _, w := range s.Warps {
					cur.Warped += w.Weight
				}
			}
			closedSteps = r.Steps
			cur, start = nil, s
		default:
			// we-init, a pooling we-merge: a new ensemble to start from.
			cur, start = nil, s
		}
	}
	if r.Resamplings > 0 {
		r.Tau = float64(closedSteps) / float64(r.Resamplings) * timestep
	}
	return r, nil
}

// Closed returns the cycles closed by a resampling.
func (r Run) Closed() []Cycle {
	if n := len(r.Cycles); n > 0 && r.Cycles[n-1].Resample == nil {
		return r.Cycles[:n-1]
	}
	return r.Cycles
}

// WarpedPerCycle returns the Warped weight of every closed cycle: the
// series whose mean is the flux per cycle.
func (r Run) WarpedPerCycle() []float64 {
	c := r.Closed()
	out := make([]float64, len(c))
	for i, x := range c {
		out[i] = x.Warped
	}
	return out
}

// Warps counts the warp records of the closed cycles.
func (r Run) Warps() int {
	n := 0
	for _, c := range r.Closed() {
		n += len(c.Resample.Warps)
	}
	return n
}

// Window selects the cycles whose Index is in [lo, hi).
func Window(cs []Cycle, lo, hi uint64) []Cycle {
	var out []Cycle
	for _, c := range cs {
		if c.Index >= lo && c.Index < hi {
			out = append(out, c)
		}
	}
	return out
}

// MeanTau returns the mean dynamics time of cycles in ps, Σ Steps ·
// timestep / len(cycles): the τ of a window of cycles (0 for none).
func MeanTau(cycles []Cycle, timestep float64) float64 {
	if len(cycles) == 0 {
		return 0
	}
	n := 0
	for _, c := range cycles {
		n += c.Steps
	}
	return float64(n) / float64(len(cycles)) * timestep
}
