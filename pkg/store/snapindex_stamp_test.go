package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wepipe/wepipe/pkg/record"
)

// settleAll makes every change count as settled (long before any
// listing, as in a store whose run ended a while ago) for the rest of
// the test: the index is marked complete whenever it is written.
func settleAll(t testing.TB) {
	old := settleMargin
	settleMargin = -time.Hour
	t.Cleanup(func() { settleMargin = old })
}

// servedByIndex reports whether the index alone serves a listing of s
// now (FORMAT.md §1.5: complete, and the directories as it recorded
// them), and lists s (which may rewrite the index).
func servedByIndex(t testing.TB, s *Store) ([]SnapInfo, bool) {
	t.Helper()
	stamps, ok := s.stampSnapshots()
	b, _ := os.ReadFile(s.SnapIndexPath())
	alone := ok && headerCurrent(b, stamps)
	if alone {
		if _, err := ParseSnapIndex(b); err != nil {
			alone = false
		}
	}
	return listed(t, s), alone
}

// TestSnapIndexComplete: once a listing has marked the index complete,
// the next is served by it alone until anything changes among the
// snapshots — one added, removed, packed, a stray file, the directory
// replaced — and every listing lists what decoding lists.
func TestSnapIndexComplete(t *testing.T) {
	settleAll(t)
	s, hs := chainStore(t, 6)
	dir := s.kindDir(record.KindSnapshot)
	// settle lists until the index serves the listing: the first listing
	// after a change lists the directory and rewrites the index.
	settle := func(what string) {
		t.Helper()
		want := decodedInfos(t, s)
		if _, used := servedByIndex(t, s); used {
			t.Fatalf("%s: the listing after it was served by the index", what)
		}
		sameInfos(t, listed(t, s), want)
		got, used := servedByIndex(t, s)
		if !used {
			t.Fatalf("%s: the index was not marked complete", what)
		}
		sameInfos(t, got, want)
	}
	settle("no index")
	last, _ := LoadAs[*record.Snapshot](s, hs[5])
	mustPut(t, s, makeSnapshot(9, last.System, []record.Hash{last.Walkers[0].State}, nil, hs[5]))
	settle("a snapshot added")
	os.Remove(s.Path(record.KindSnapshot, hs[0]))
	settle("a snapshot removed")
	os.WriteFile(filepath.Join(dir, "README"), []byte("not an object"), 0o644)
	settle("a stray file")
	if _, err := s.Pack(PackOptions{}); err != nil {
		t.Fatal(err)
	}
	settle("packed")
	removePacks(t, s)
	settle("a pack removed")
	// The directory replaced by a copy of itself: a new inode.
	copyDir := dir + ".new"
	os.Mkdir(copyDir, 0o755)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		os.WriteFile(filepath.Join(copyDir, e.Name()), b, 0o444)
	}
	os.Rename(dir, dir+".old")
	os.Rename(copyDir, dir)
	settle("the directory replaced")
}

// TestSnapIndexUnsettled: an index written within settleMargin of the
// directories' last change is not marked complete (a change in the same
// tick of the file system's clock could go unseen), and a later listing
// marks it complete without anything else changing.
func TestSnapIndexUnsettled(t *testing.T) {
	s, _ := chainStore(t, 3) // just written: within 2 s of now
	want := decodedInfos(t, s)
	sameInfos(t, listed(t, s), want)
	if _, used := servedByIndex(t, s); used {
		t.Fatal("an index written just after a change was marked complete")
	}
	x := readIndexHeader(t, s)
	if x.complete || x.stamps != (snapStamps{}) {
		t.Fatalf("unsettled index: complete %v, stamps %+v", x.complete, x.stamps)
	}
	settleAll(t)
	sameInfos(t, listed(t, s), want)
	got, used := servedByIndex(t, s)
	if !used {
		t.Fatal("a settled store's index was not marked complete")
	}
	sameInfos(t, got, want)
}

func readIndexHeader(t testing.TB, s *Store) *SnapIndex {
	t.Helper()
	b, err := os.ReadFile(s.SnapIndexPath())
	if err != nil {
		t.Fatal(err)
	}
	x, err := ParseSnapIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestSnapIndexSettled: the writer's rule, a directory settled when its
// last change lies settleMargin before the moment it was stamped.
func TestSnapIndexSettled(t *testing.T) {
	const sec = int64(time.Second)
	now := 1000 * sec
	for _, c := range []struct {
		name   string
		stamps snapStamps
		want   bool
	}{
		{"long before", snapStamps{{Ino: 1, Mtime: now - 10*sec, Ctime: now - 10*sec}}, true},
		{"just over the margin", snapStamps{{Ino: 1, Mtime: now - 2*sec - 1, Ctime: now - 2*sec - 1}}, true},
		{"at the margin", snapStamps{{Ino: 1, Mtime: now - 2*sec, Ctime: now - 3*sec}}, false},
		{"change time recent", snapStamps{{Ino: 1, Mtime: now - 10*sec, Ctime: now - sec}}, false},
		{"in the future", snapStamps{{Ino: 1, Mtime: now + sec, Ctime: now + sec}}, false},
		{"packs recent", snapStamps{{Ino: 1, Mtime: now - 10*sec, Ctime: now - 10*sec}, {Ino: 2, Mtime: now, Ctime: now}}, false},
		{"no packs", snapStamps{{Ino: 1, Mtime: now - 10*sec, Ctime: now - 10*sec}, {}}, true},
	} {
		if got := c.stamps.settled(now); got != c.want {
			t.Errorf("%s: settled %v, want %v", c.name, got, c.want)
		}
	}
}

// TestSnapIndexBadNotComplete: a listing that could not read a snapshot
// leaves an index that is not complete, so that every listing reports
// the snapshot again.
func TestSnapIndexBadNotComplete(t *testing.T) {
	settleAll(t)
	s, hs := chainStore(t, 4)
	p := s.Path(record.KindSnapshot, hs[2])
	z, _ := s.ReadFile(record.KindSnapshot, hs[2])
	z[len(z)-1] ^= 0xff
	os.Remove(p)
	os.WriteFile(p, z, 0o444)
	for i := 0; i < 3; i++ {
		infos, bad, err := s.Snapshots()
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) != 1 || len(infos) != 3 {
			t.Fatalf("listing %d: %d listed, %d bad, want 3 and 1", i, len(infos), len(bad))
		}
	}
	if _, used := servedByIndex(t, s); used {
		t.Fatal("an index that lacks an unreadable snapshot served the listing")
	}
}

// TestSnapIndexFalseClaim: an index that claims to be complete and
// current but lists other snapshots than the store holds (a damaged or
// hostile store) is what a listing shows — it is a cache trusted as git
// trusts its index — but Check finds it, says so and rebuilds it.
func TestSnapIndexFalseClaim(t *testing.T) {
	settleAll(t)
	s, _ := chainStore(t, 4)
	want := decodedInfos(t, s)
	listed(t, s)
	if _, used := servedByIndex(t, s); !used {
		t.Fatal("index not complete")
	}
	x := readIndexHeader(t, s)
	lie := append(want[:1:1], want[2:]...) // one snapshot left out
	b, err := encodeSnapIndex(lie, x.stamps, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.SnapIndexPath(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, used := servedByIndex(t, s); !used || len(got) != 3 {
		t.Fatalf("the claim was not taken (used %v, %d listed)", used, len(got))
	}
	rep := checkClean(t, s)
	if !strings.Contains(rep.IndexRepaired, "claims to list every snapshot") {
		t.Errorf("check: index repaired %q, want the false claim named", rep.IndexRepaired)
	}
	got, used := servedByIndex(t, s)
	if !used {
		t.Fatal("check left an index that is not complete")
	}
	sameInfos(t, got, want)
}
