package lineage

import (
	"os"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// History and Back through the snapshot index: the same chain as without
// one, whether the index is sound, stale (behind the store) or lies about
// parents with a valid checksum, for the index is only a prediction and
// every link is verified from the snapshots themselves.
func TestHistoryThroughIndex(t *testing.T) {
	dir := fastDir(t)
	rapid.Check(t, func(t *rapid.T) {
		st := tempStore(t, dir)
		a := fakeRun(t, st, rapid.IntRange(0, 6).Draw(t, "cycles"), 2)
		end := a.chain[rapid.IntRange(0, len(a.chain)-1).Draw(t, "end")]
		want, err := History(st, end)
		if err != nil {
			t.Fatal(err)
		}
		mode := rapid.SampledFrom([]string{"sound", "stale", "lying", "cycle"}).Draw(t, "index")
		if _, _, err := st.Snapshots(); err != nil {
			t.Fatal(err)
		}
		idx, err := st.ReadSnapIndex()
		if err != nil {
			t.Fatal(err)
		}
		switch mode {
		case "stale":
			idx = idx[:rapid.IntRange(0, len(idx)).Draw(t, "kept")]
		case "lying":
			for i := range idx {
				if len(idx[i].Parents) > 0 {
					idx[i].Parents = []record.Hash{idx[rapid.IntRange(0, len(idx)-1).Draw(t, "wrong parent")].Hash}
				}
			}
		case "cycle":
			for i := range idx {
				idx[i].Parents = []record.Hash{idx[i].Hash}
			}
		}
		b, err := store.EncodeSnapIndex(slices.Clone(idx))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(st.SnapIndexPath(), b, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := History(st, end)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s index: history of %d snapshots, want %d", mode, len(got), len(want))
		}
		for i := range want {
			if got[i].Hash != want[i].Hash {
				t.Fatalf("%s index: entry %d is %s, want %s", mode, i, got[i].Hash.Short(), want[i].Hash.Short())
			}
		}
		var back []record.Hash
		if err := Back(st, end, func(h record.Hash, _ *record.Snapshot) error { back = append(back, h); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Reverse(back)
		for i := range want {
			if back[i] != want[i].Hash {
				t.Fatalf("%s index: Back's %d is %s, want %s", mode, i, back[i].Short(), want[i].Hash.Short())
			}
		}
	})
}

// Summary.Runs and ChainLength agree with the decoded graph's.
func TestSummaryRuns(t *testing.T) {
	dir := fastDir(t)
	rapid.Check(t, func(t *rapid.T) {
		st := tempStore(t, dir)
		for n := rapid.IntRange(1, 3).Draw(t, "runs"); n > 0; n-- {
			fakeRun(t, st, rapid.IntRange(0, 4).Draw(t, "cycles"), 2)
		}
		g, err := Load(st)
		if err != nil {
			t.Fatal(err)
		}
		sum, bad, err := LoadSummary(st)
		if err != nil || len(bad) > 0 {
			t.Fatal(err, bad)
		}
		want, got := g.Runs(), sum.Runs()
		if !slices.Equal(got, want) {
			t.Fatalf("runs %v, want %v", got, want)
		}
		for _, r := range want {
			if a, b := sum.ChainLength(r.Start, r.End), g.ChainLength(r.Start, r.End); a != b || a != r.Snapshots {
				t.Fatalf("chain length %d, graph %d, run %d", a, b, r.Snapshots)
			}
		}
	})
}
