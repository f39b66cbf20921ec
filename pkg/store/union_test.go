package store

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/record"
)

// run writes a system, its states and a chain of snapshots, as a short run
// would, and returns every hash written.
func run(t *testing.T, s *Store, name string, walkers, cycles int) (all []record.Hash, snaps []record.Hash) {
	r := stream(name, 0)
	init := mustPut(t, s, makeState(r, 3))
	sys := mustPut(t, s, makeSystem(3, init))
	all = append(all, init, sys)
	var parent []record.Hash
	for c := 0; c < cycles; c++ {
		var states []record.Hash
		var segs []*record.Hash
		for w := 0; w < walkers; w++ {
			h := mustPut(t, s, makeState(r, 3))
			g := mustPut(t, s, makeSegment(r, 2, 3))
			states = append(states, h)
			segs = append(segs, &g)
			all = append(all, h, g)
		}
		sn := mustPut(t, s, makeSnapshot(uint64(c), sys, states, segs, parent...))
		all = append(all, sn)
		snaps = append(snaps, sn)
		parent = []record.Hash{sn}
	}
	return all, snaps
}

func TestUnion(t *testing.T) {
	src, dst := newStore(t), newStore(t)
	all, _ := run(t, src, "union", 4, 5)
	// dst already holds part of it.
	shared, _ := run(t, dst, "union", 4, 2)
	rep, err := dst.Union(src)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied != len(all)-len(shared) || rep.Present != len(shared) || len(rep.Problems) != 0 {
		t.Fatalf("copied %d, present %d, problems %v; want %d, %d", rep.Copied, rep.Present, rep.Problems, len(all)-len(shared), len(shared))
	}
	for _, h := range all {
		k, err := src.Kind(h)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := src.ReadFile(k, h)
		b, err := dst.ReadFile(k, h)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s %s not copied as it was: %v", k, h.Short(), err)
		}
	}
	checkClean(t, dst)
	// A second union copies nothing.
	rep, err = dst.Union(src)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied != 0 || rep.Bytes != 0 || rep.Present != len(all) {
		t.Errorf("second union: copied %d, present %d", rep.Copied, rep.Present)
	}
	if tmp := tempFiles(t, dst); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}

func TestUnionCorruptSource(t *testing.T) {
	src, dst := newStore(t), newStore(t)
	all, snaps := run(t, src, "union-corrupt", 3, 4)
	// Damage one state of cycle 2's snapshot: that snapshot cannot be
	// copied, nor cycle 3's, whose parent it is.
	sn, err := LoadAs[*record.Snapshot](src, snaps[2])
	if err != nil {
		t.Fatal(err)
	}
	victim := sn.Walkers[1].State
	vp := plant(t, src, record.KindState, victim, []byte("not zstd"))
	// And a snapshot whose parent is in neither store.
	var lost record.Hash
	lost[0] = 0x99
	orphan, _ := NewItem(makeSnapshot(9, sn.System, []record.Hash{sn.Walkers[0].State}, nil, lost))
	if err := src.PutItems([]Item{orphan}); err != nil {
		t.Fatal(err)
	}
	rep, err := dst.Union(src)
	if err != nil {
		t.Fatal(err)
	}
	problems := map[string]string{}
	for _, p := range rep.Problems {
		problems[p.Path] = p.What
	}
	for _, c := range []struct {
		path, what string
	}{
		{vp, "not a zstd frame"},
		{src.Path(record.KindSnapshot, snaps[2]), "walkers[1].state: references state " + victim.Short() + ", which neither store holds intact"},
		{src.Path(record.KindSnapshot, snaps[3]), "parents[0]: references snapshot " + snaps[2].Short()},
		{src.Path(record.KindSnapshot, orphan.Hash), "parents[0]: references snapshot " + lost.Short()},
	} {
		if !strings.Contains(problems[c.path], c.what) {
			t.Errorf("problem for %s: %q, want %q", c.path, problems[c.path], c.what)
		}
	}
	if len(rep.Problems) != 4 {
		t.Errorf("%d problems: %v", len(rep.Problems), rep.Problems)
	}
	for _, h := range []record.Hash{victim, snaps[2], snaps[3], orphan.Hash} {
		if _, err := dst.Kind(h); err == nil {
			t.Errorf("%s copied", h.Short())
		}
	}
	if rep.Copied != len(all)-3 {
		t.Errorf("copied %d, want %d", rep.Copied, len(all)-3)
	}
	checkClean(t, dst)
}
