package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wepipe/wepipe/pkg/record"
)

// benchSnapshots is the size of BenchmarkSnapshotIndex's store:
// WE_BENCH_SNAPSHOTS, 20,000 by default (the figure of issue 20).
func benchSnapshots() int {
	if n, err := strconv.Atoi(os.Getenv("WE_BENCH_SNAPSHOTS")); err == nil && n > 0 {
		return n
	}
	return 20000
}

// buildChainStore fills store dir (created if need be; an existing store
// that already holds n snapshots is reused) with a run of n snapshots of
// 48 walkers of a 2-particle system, a "we-init" snapshot then alternately
// "we-step" and "we-resample" (FORMAT.md §5.4's cycles), each walker with
// an observable, as a pipeline makes them.
// Objects are written without fsync: the store is a benchmark's.
func buildChainStore(tb testing.TB, dir string, n int) *Store {
	tb.Helper()
	s, err := Create(dir)
	if err != nil {
		tb.Fatal(err)
	}
	if hs, err := s.List(record.KindSnapshot); err == nil && len(hs) >= n {
		return s
	}
	fsyncOff = true
	defer func() { fsyncOff = false }()
	const walkers = 48
	r := stream("index-bench", 0)
	var states []record.Hash
	var items []Item
	for i := 0; i < walkers; i++ {
		it, err := NewItem(makeState(r, 2))
		if err != nil {
			tb.Fatal(err)
		}
		items = append(items, it)
		states = append(states, it.Hash)
	}
	if err := s.PutItems(items); err != nil {
		tb.Fatal(err)
	}
	sys := mustPut(tb, s, makeSystem(2, states[0]))
	var parent []record.Hash
	items = items[:0]
	for c := 0; c < n; c++ {
		sn := makeSnapshot(uint64(c/2), sys, states, nil, parent...)
		switch {
		case c == 0:
			sn.Op.Tool = "we-init"
		case c%2 == 1:
			sn.Op.Tool = "we-step"
		default:
			sn.Op.Tool = "we-resample"
		}
		for i := range sn.Walkers {
			sn.Walkers[i].Obs = map[string]float64{"d": r.Float64()}
		}
		it, err := NewItem(sn)
		if err != nil {
			tb.Fatal(err)
		}
		items = append(items, it)
		parent = []record.Hash{it.Hash}
		if len(items) == 512 || c == n-1 {
			// Each batch holds the parents of the next: layers in order.
			if err := s.PutItems(items); err != nil {
				tb.Fatal(err)
			}
			items = items[:0]
		}
	}
	return s
}

// BenchmarkSnapshotIndex lists the snapshots of a store of
// benchSnapshots snapshots: "cold" decodes every snapshot (no index, none
// written), "rebuild" decodes them and writes the index, "warm" reads
// an index that is current but not complete and lists the directory,
// "complete" reads a complete index alone (FORMAT.md §1.5), "decode"
// decodes the index file alone and "list" lists the directory alone. WE_BENCH_INDEX_STORE keeps
// (and reuses) the store there, for scripts/bench/index.sh.
func BenchmarkSnapshotIndex(b *testing.B) {
	dir := os.Getenv("WE_BENCH_INDEX_STORE")
	if dir == "" {
		dir = filepath.Join(b.TempDir(), "store")
	}
	n := benchSnapshots()
	s := buildChainStore(b, dir, n)
	index := s.SnapIndexPath()
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			hs, err := s.List(record.KindSnapshot)
			if err != nil {
				b.Fatal(err)
			}
			infos := make([]SnapInfo, len(hs))
			parallelFor(len(hs), 2, func(i int) {
				sn, err := LoadAs[*record.Snapshot](s, hs[i])
				if err != nil {
					b.Error(err)
					return
				}
				infos[i] = InfoOf(hs[i], sn)
			})
		}
	})
	b.Run("rebuild", func(b *testing.B) {
		for b.Loop() {
			os.Remove(index)
			if infos, bad, err := s.Snapshots(); err != nil || len(bad) > 0 || len(infos) < n {
				b.Fatal(err, bad, len(infos))
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		// An index current but not complete (written within
		// settleMargin of a change): the directory is listed beside it.
		infos, _, _ := s.Snapshots()
		if err := s.writeSnapIndex(infos, snapStamps{}, time.Now(), true); err != nil {
			b.Fatal(err)
		}
		old := settleMargin
		settleMargin = 1 << 62
		defer func() { settleMargin = old }()
		for b.Loop() {
			if infos, bad, err := s.Snapshots(); err != nil || len(bad) > 0 || len(infos) < n {
				b.Fatal(err, bad, len(infos))
			}
		}
	})
	// "complete" serves the listing from a complete index alone, as
	// `we-ls snapshots` does (ViewSnapshots, nothing decoded) and as
	// `we-ls runs` and the lineage tools do (Snapshots, every entry
	// decoded), as on a store whose run ended more than settleMargin ago.
	b.Run("complete", func(b *testing.B) {
		old := settleMargin
		settleMargin = -time.Hour
		defer func() { settleMargin = old }()
		s.Snapshots()
		st, _ := s.stampSnapshots()
		if raw, _ := os.ReadFile(index); !headerCurrent(raw, st) {
			b.Fatal("the index was not marked complete")
		}
		b.Run("view", func(b *testing.B) {
			for b.Loop() {
				m := 0
				if _, err := s.ViewSnapshots(func(x *SnapIndex) error { m = x.Len(); return nil }); err != nil || m < n {
					b.Fatal(err, m)
				}
			}
		})
		b.Run("decode", func(b *testing.B) {
			for b.Loop() {
				if infos, bad, err := s.Snapshots(); err != nil || len(bad) > 0 || len(infos) < n {
					b.Fatal(err, bad, len(infos))
				}
			}
		})
	})
	b.Run("decode", func(b *testing.B) {
		if _, _, err := s.Snapshots(); err != nil {
			b.Fatal(err)
		}
		raw, err := os.ReadFile(index)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := DecodeSnapIndex(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.List(record.KindSnapshot); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIndexOf looks up every entry of n entries with uniform hashes
// (snapshots' names) and with hashes that share their first 8 bytes (a
// crafted index, where interpolation gives way to halving).
func BenchmarkIndexOf(b *testing.B) {
	for _, n := range []int{1000, 20000, 1000000} {
		for _, skewed := range []bool{false, true} {
			infos := make([]SnapInfo, n)
			for i := range infos {
				infos[i].Hash = record.Sum([]byte(strconv.Itoa(i)))
				if skewed {
					copy(infos[i].Hash[:8], "wepipe!!")
				}
			}
			infos = sortedInfos(infos)
			b.Run(fmt.Sprintf("n=%d/skewed=%v", n, skewed), func(b *testing.B) {
				i := 0
				for b.Loop() {
					if IndexOf(infos, infos[i%n].Hash) != i%n {
						b.Fatal("not found")
					}
					i += 7919 // a prime: every entry, in no order
				}
			})
		}
	}
}
