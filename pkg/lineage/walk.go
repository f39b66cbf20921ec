package lineage

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// predict returns the chain of first parents from h as the snapshot
// index says it is (FORMAT.md §1.5), newest first: up to a snapshot
// without parents, or the last one the index holds whose first parent it
// lacks. It is nil when there is no usable index or the index lacks h.
// The index is only read, never rebuilt: a walk of a short history must
// not decode the whole store.
func predict(s *store.Store, h record.Hash) []record.Hash {
	idx, err := s.ReadSnapIndex()
	if err != nil {
		return nil
	}
	var out []record.Hash
	// The bound stops a cycle that a damaged index could claim.
	for len(out) <= len(idx) {
		in, ok := store.FindInfo(idx, h)
		if !ok {
			break
		}
		out = append(out, h)
		if len(in.Parents) == 0 {
			break
		}
		h = in.Parents[0]
	}
	return out
}

// walkBack calls visit for the snapshots of the history ending at h,
// newest first, following first parents to a snapshot without parents or
// a shallow snapshot whose parent is not in the store (History's rule).
// Where the snapshot index predicts the chain, snapshots are loaded ahead,
// a window of a few per CPU at a time, on every CPU; each is still read
// and verified from its object, and used only if it is the parent its
// child (read and verified) names: the index is never trusted. Where the
// prediction ends or is wrong, the walk goes on one snapshot at a time.
// Memory holds one window of snapshots.
func walkBack(s *store.Store, h record.Hash, visit func(record.Hash, *record.Snapshot) error) error {
	pred := predict(s, h)
	window := 4 * runtime.GOMAXPROCS(0)
	type loaded struct {
		snap *record.Snapshot
		err  error
	}
	var ahead []loaded // the snapshots pred[base:base+len(ahead)]
	base, i := 0, 0
	for {
		var snap *record.Snapshot
		var err error
		if i < len(pred) && pred[i] == h {
			if i >= base+len(ahead) {
				base, ahead = i, make([]loaded, min(window, len(pred)-i))
				var wg sync.WaitGroup
				for k := range ahead {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ahead[k].snap, ahead[k].err = store.LoadAs[*record.Snapshot](s, pred[base+k])
					}()
				}
				wg.Wait()
			}
			snap, err = ahead[i-base].snap, ahead[i-base].err
			ahead[i-base] = loaded{}
			i++
		} else {
			i = len(pred) // off the prediction: one at a time from here
			snap, err = store.LoadAs[*record.Snapshot](s, h)
		}
		if err != nil {
			return fmt.Errorf("load snapshot %s: %w", h.Short(), err)
		}
		if err := visit(h, snap); err != nil {
			return err
		}
		if len(snap.Parents) == 0 || s.MissingParent(h, snap.Parents[0]) {
			return nil
		}
		h = snap.Parents[0]
	}
}
