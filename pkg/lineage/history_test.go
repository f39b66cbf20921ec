package lineage

import (
	"os"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// History follows first parents from any snapshot of a run back to its
// root and returns the chain oldest first: for every cycle count and every
// end point, exactly the run's chain up to that point.
func TestHistoryChain(t *testing.T) {
	dir := fastDir(t)
	rapid.Check(t, func(t *rapid.T) {
		st := tempStore(t, dir)
		cycles := rapid.IntRange(0, 5).Draw(t, "cycles")
		r := fakeRun(t, st, cycles, rapid.IntRange(1, 6).Draw(t, "walkers"))
		end := rapid.IntRange(0, len(r.chain)-1).Draw(t, "end")
		hist, err := History(st, r.chain[end])
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != end+1 {
			t.Fatalf("history of snapshot %d has %d entries", end, len(hist))
		}
		for i, e := range hist {
			if e.Hash != r.chain[i] {
				t.Fatalf("entry %d is %s, the run's snapshot %d is %s", i, e.Hash.Short(), i, r.chain[i].Short())
			}
			if i > 0 && e.Snap.Parents[0] != hist[i-1].Hash {
				t.Fatalf("entry %d's first parent is not entry %d", i, i-1)
			}
		}
		if len(hist[0].Snap.Parents) != 0 {
			t.Fatal("the history does not start at the root")
		}
	})
}

// A pooled snapshot (we-merge of ensembles) has several parents: History
// follows the first.
func TestHistoryFirstParent(t *testing.T) {
	dir := fastDir(t)
	rapid.Check(t, func(t *rapid.T) {
		st := tempStore(t, dir)
		a := fakeRun(t, st, 1, 2)
		b := fakeRun(t, st, 2, 2)
		pool := record.NewSnapshot()
		last, err := store.LoadAs[*record.Snapshot](st, a.chain[len(a.chain)-1])
		if err != nil {
			t.Fatal(err)
		}
		pool.System, pool.Cycle = last.System, last.Cycle
		pool.Op = record.Op{Tool: "we-merge", Version: "1"}
		pool.Parents = []record.Hash{a.chain[len(a.chain)-1], b.chain[len(b.chain)-1]}
		for _, w := range last.Walkers {
			w.Parent = -1
			pool.Walkers = append(pool.Walkers, w)
		}
		ph, err := st.Put(pool)
		if err != nil {
			t.Fatal(err)
		}
		hist, err := History(st, ph)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != len(a.chain)+1 || hist[0].Hash != a.chain[0] || hist[len(hist)-1].Hash != ph {
			t.Fatalf("history of the pooled snapshot: %d entries from %s", len(hist), hist[0].Hash.Short())
		}
	})
}

// A missing parent ends the history only where the store says the history
// was imported without it (a shallow mark); anywhere else it is an error
// naming the snapshot that could not be loaded.
func TestHistoryMissingParent(t *testing.T) {
	dir := fastDir(t)
	rapid.Check(t, func(t *rapid.T) {
		st := tempStore(t, dir)
		r := fakeRun(t, st, rapid.IntRange(1, 4).Draw(t, "cycles"), 2)
		// Remove a snapshot between the root and the end: the history from
		// the end cannot reach the root.
		k := rapid.IntRange(1, len(r.chain)-2).Draw(t, "removed")
		gone := r.chain[k]
		if err := os.Remove(st.Path(record.KindSnapshot, gone)); err != nil {
			t.Fatal(err)
		}
		end := r.chain[len(r.chain)-1]
		if _, err := History(st, end); err == nil || !strings.Contains(err.Error(), gone.Short()) {
			t.Fatalf("history through a missing snapshot: %v", err)
		}
		// Marked shallow, the snapshot after it starts the history.
		if err := st.MarkShallow(r.chain[k+1]); err != nil {
			t.Fatal(err)
		}
		hist, err := History(st, end)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != len(r.chain)-k-1 || hist[0].Hash != r.chain[k+1] {
			t.Fatalf("shallow history: %d entries from %s", len(hist), hist[0].Hash.Short())
		}
	})
}
