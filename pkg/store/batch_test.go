package store

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wepipe/wepipe/pkg/record"
)

// stateItems makes n distinct small states as items.
func stateItems(t *testing.T, name string, n int) []Item {
	t.Helper()
	items := make([]Item, n)
	for i := range items {
		it, err := NewItem(makeState(stream(name, uint64(i)), 2))
		if err != nil {
			t.Fatal(err)
		}
		items[i] = it
	}
	return items
}

// A batch as we-step uses it: workers Add states while the committer
// commits now and then; the last commit adds the snapshot referencing
// them all in a later layer. Everything lands, verified, with no temp
// file left, whatever the interleaving.
func TestBatchConcurrentAddCommit(t *testing.T) {
	s := newStore(t)
	items := stateItems(t, "batch", 200)
	init := mustPut(t, s, makeState(stream("batch-init", 0), 2))
	sys := mustPut(t, s, makeSystem(2, init))
	b := s.NewBatch()
	defer b.Abort()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(items); i += 4 {
				if err := b.Add(0, items[i]); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	stop := make(chan struct{})
	committed := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				committed <- nil
				return
			default:
			}
			if err := b.Commit(); err != nil {
				committed <- err
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	hs := make([]record.Hash, len(items))
	for i, it := range items {
		hs[i] = it.Hash
	}
	snap, err := NewItem(makeSnapshot(0, sys, hs, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(1, snap); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, it := range append(items, snap) {
		if _, err := s.GetKind(it.Kind, it.Hash); err != nil {
			t.Fatalf("%s %s: %v", it.Kind, it.Hash.Short(), err)
		}
	}
	if tmp := tempFiles(t, s); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	checkClean(t, s)
}

// Abort removes what was added since the last commit and names nothing.
func TestBatchAbort(t *testing.T) {
	s := newStore(t)
	items := stateItems(t, "abort", 10)
	b := s.NewBatch()
	for _, it := range items[:5] {
		if err := b.Add(0, it); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, it := range items[5:] {
		if err := b.Add(0, it); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(tempFiles(t, s)); n != 5 {
		t.Fatalf("%d temp files before Abort, want 5", n)
	}
	b.Abort()
	for i, it := range items {
		if got, want := s.Has(record.KindState, it.Hash), i < 5; got != want {
			t.Errorf("item %d: present %v, want %v", i, got, want)
		}
	}
	if tmp := tempFiles(t, s); len(tmp) != 0 {
		t.Errorf("temp files left after Abort: %v", tmp)
	}
}

// Adding an object the store holds leaves its file untouched (the same
// inode, the same time), though a small object is not looked up first:
// the rename refuses to replace it.
func TestBatchExistingUntouched(t *testing.T) {
	s := newStore(t)
	items := stateItems(t, "exists", 3)
	if err := s.PutItems(items[:1]); err != nil {
		t.Fatal(err)
	}
	p := s.Path(record.KindState, items[0].Hash)
	before, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, many := range []bool{false, true} {
		b := s.newBatch(many)
		for _, it := range items {
			if err := b.Add(0, it); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		b.Abort()
		sameFile(t, p, before)
	}
	if tmp := tempFiles(t, s); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	checkClean(t, s)
}

// renameNew never replaces a file: it reports false and leaves both.
func TestRenameNew(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	os.WriteFile(a, []byte("new"), 0o444)
	os.WriteFile(b, []byte("old"), 0o444)
	moved, err := renameNew(a, b)
	if err != nil || moved {
		t.Fatalf("onto an existing file: moved %v, %v", moved, err)
	}
	if got, _ := os.ReadFile(b); string(got) != "old" {
		t.Fatalf("the existing file now holds %q", got)
	}
	if moved, err = renameNew(a, c); err != nil || !moved {
		t.Fatalf("onto a new name: moved %v, %v", moved, err)
	}
	if got, _ := os.ReadFile(c); string(got) != "new" {
		t.Fatalf("the renamed file holds %q", got)
	}
	if _, err := os.Stat(a); !os.IsNotExist(err) {
		t.Fatalf("the source is still there: %v", err)
	}
	if _, err := renameNew(filepath.Join(dir, "missing"), filepath.Join(dir, "d")); !os.IsNotExist(err) {
		t.Fatalf("renaming a missing file: %v", err)
	}
}
