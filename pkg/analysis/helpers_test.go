package analysis

import (
	"crypto/sha256"
	"strconv"

	"github.com/wepipe/wepipe/pkg/lineage"
	"github.com/wepipe/wepipe/pkg/record"
)

// history builds a history by hand, snapshot by snapshot, as the tools
// would write it (FORMAT.md §5.4).
type history struct {
	entries []lineage.Entry
	cycle   uint64
}

func (h *history) add(s *record.Snapshot) *record.Snapshot {
	sum := sha256.Sum256([]byte(strconv.Itoa(len(h.entries))))
	s.Kind, s.V, s.Cycle = "snapshot", 1, h.cycle
	if len(h.entries) > 0 {
		s.Parents = []record.Hash{h.entries[len(h.entries)-1].Hash}
	}
	h.entries = append(h.entries, lineage.Entry{Hash: record.Hash(sum), Snap: s})
	return s
}

func (h *history) last() *record.Snapshot { return h.entries[len(h.entries)-1].Snap }

// init adds a we-init snapshot of walkers at x with equal weights.
func (h *history) init(x ...float64) {
	s := &record.Snapshot{Op: record.Op{Tool: "we-init"}}
	for _, v := range x {
		s.Walkers = append(s.Walkers, record.Walker{Weight: 1 / float64(len(x)), Parent: -1, Obs: map[string]float64{"x": v}})
	}
	h.add(s)
}

// step adds a we-step snapshot: walker i moves to x[i].
func (h *history) step(steps int, x ...float64) {
	prev := h.last()
	s := &record.Snapshot{Op: record.Op{Tool: "we-step", Params: map[string]string{"steps": strconv.Itoa(steps)}}}
	for i, v := range x {
		s.Walkers = append(s.Walkers, record.Walker{Weight: prev.Walkers[i].Weight, Parent: i, Obs: map[string]float64{"x": v}})
	}
	h.add(s)
}

// resample adds a we-resample snapshot that keeps every walker, warping
// those listed to x = home.
func (h *history) resample(home float64, warped ...int) {
	prev := h.last()
	s := &record.Snapshot{Op: record.Op{Tool: "we-resample"}}
	isWarped := map[int]bool{}
	for _, i := range warped {
		isWarped[i] = true
		s.Warps = append(s.Warps, record.Warp{Cycle: h.cycle, Walker: i, Weight: prev.Walkers[i].Weight, Cond: "x>=1"})
	}
	h.cycle++
	for i, w := range prev.Walkers {
		x := w.Obs["x"]
		if isWarped[i] {
			x = home
		}
		s.Walkers = append(s.Walkers, record.Walker{Weight: w.Weight, Parent: i, Obs: map[string]float64{"x": x}})
	}
	h.add(s)
}
