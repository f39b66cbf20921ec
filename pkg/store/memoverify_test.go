package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wepipe/wepipe/pkg/record"
)

// TestVerifiedMemo: a memo entry is a hit only when it names one intact
// object of the expected kind, made from the expected parent by the
// expected operation, whose references exist; a rewritten entry (naming
// another snapshot, a state, a snapshot of another operation), a corrupt
// output and an output whose state is gone are misses.
func TestVerifiedMemo(t *testing.T) {
	s := newStore(t)
	_, snaps := run(t, s, "verified-memo", 2, 3)
	parent, out := snaps[1], snaps[2]
	sn, err := LoadAs[*record.Snapshot](s, out)
	if err != nil {
		t.Fatal(err)
	}
	op := sn.Op
	key := MemoKey("stage", parent.String())
	check := MadeBy(parent, op)
	hit := func() (record.Hash, bool) { return s.VerifiedMemo(key, record.KindSnapshot, check) }
	if _, ok := hit(); ok {
		t.Fatal("hit without an entry")
	}
	if err := s.PutMemo(key, out); err != nil {
		t.Fatal(err)
	}
	if h, ok := hit(); !ok || h != out {
		t.Fatalf("VerifiedMemo = %s, %v; want a hit on %s", h.Short(), ok, out.Short())
	}
	other := op
	other.Params = map[string]string{"seed": "7"}
	for _, c := range []struct {
		name  string
		entry []record.Hash
		check func(record.Object) bool
	}{
		{"another snapshot", []record.Hash{snaps[0]}, check},
		{"a state", []record.Hash{sn.Walkers[0].State}, check},
		{"two objects", []record.Hash{out, out}, check},
		{"another operation", []record.Hash{out}, MadeBy(parent, other)},
		{"another parent", []record.Hash{out}, MadeBy(snaps[0], op)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := s.PutMemo(key, c.entry...); err != nil {
				t.Fatal(err)
			}
			if h, ok := s.VerifiedMemo(key, record.KindSnapshot, c.check); ok {
				t.Errorf("hit on %s", h.Short())
			}
		})
	}
	if err := s.PutMemo(key, out); err != nil {
		t.Fatal(err)
	}
	// The output's state is gone: a miss.
	st := s.Path(record.KindState, sn.Walkers[1].State)
	b, _ := os.ReadFile(st)
	os.Remove(st)
	if _, ok := hit(); ok {
		t.Error("hit on a snapshot whose state is gone")
	}
	os.WriteFile(st, b, 0o444)
	// The output is corrupt: a miss; a stage that then writes the object
	// again replaces the corrupt file (keeping it in corrupt/).
	p := s.Path(record.KindSnapshot, out)
	os.Chmod(p, 0o644)
	os.WriteFile(p, []byte("garbage"), 0o644)
	if _, ok := hit(); ok {
		t.Error("hit on a corrupt output")
	}
	if h, err := s.Put(sn); err != nil || h != out {
		t.Fatalf("Put of the output again: %s, %v", h.Short(), err)
	}
	if h, ok := hit(); !ok || h != out {
		t.Errorf("after the output was written again: %s, %v", h.Short(), ok)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), corruptDir, "snapshot-"+out.String())); err != nil {
		t.Errorf("the corrupt output is not kept: %v", err)
	}
	checkClean(t, s)
}

// TestWriteOverCorrupt: writing an object whose name is taken by a file
// that is not that object (damaged, or not a regular file) replaces the
// file by the sound object, through every write path: Put of a small and
// of a large object, PutItems, a Batch; a sound file is left untouched.
func TestWriteOverCorrupt(t *testing.T) {
	s := newStore(t)
	r := stream("over-corrupt", 0)
	for _, c := range []struct {
		name  string
		atoms int
		put   func(o record.Object) error
	}{
		{"Put, small", 2, func(o record.Object) error { _, err := s.Put(o); return err }},
		{"Put, large", 20000, func(o record.Object) error { _, err := s.Put(o); return err }},
		{"PutItems", 2, func(o record.Object) error { it, _ := NewItem(o); return s.PutItems([]Item{it}) }},
		{"Batch, large", 2000, func(o record.Object) error {
			b := s.NewBatch()
			defer b.Abort()
			it, _ := NewItem(o)
			if err := b.Add(0, it); err != nil {
				return err
			}
			return b.Commit()
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := makeState(r, c.atoms)
			h := mustPut(t, s, o)
			p := s.Path(record.KindState, h)
			st, _ := os.Stat(p)
			if err := c.put(o); err != nil {
				t.Fatal(err)
			}
			sameFile(t, p, st)
			os.Chmod(p, 0o644)
			if err := os.Truncate(p, 30); err != nil {
				t.Fatal(err)
			}
			if err := c.put(o); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadAs[*record.State](s, h); err != nil {
				t.Fatalf("after writing it again: %v", err)
			}
			if _, err := os.Stat(filepath.Join(s.Dir(), corruptDir, "state-"+h.String())); err != nil {
				t.Errorf("the corrupt file is not kept: %v", err)
			}
		})
	}
	checkClean(t, s)
	if len(tempFiles(t, s)) != 0 {
		t.Errorf("temp files left: %v", tempFiles(t, s))
	}
	// Not an error to find the name taken by a directory either.
	o := makeState(r, 2)
	it, _ := NewItem(o)
	os.Mkdir(s.Path(record.KindState, it.Hash), 0o755)
	if _, err := s.Put(o); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAs[*record.State](s, it.Hash); errors.Is(err, ErrNotRegular) || err != nil {
		t.Errorf("after writing over a directory: %v", err)
	}
}
