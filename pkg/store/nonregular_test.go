//go:build unix

package store

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wepipe/wepipe/pkg/record"
)

// noBlock runs f and fails the test if it has not returned within ten
// seconds: a reader that opens a FIFO without O_NONBLOCK waits forever.
func noBlock(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

// mkfifo makes a FIFO at p.
func mkfifo(t *testing.T, p string) {
	t.Helper()
	os.Remove(p)
	if err := unix.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mksocket makes a Unix socket at p (made at a short path and renamed:
// socket paths are limited to 108 bytes).
func mksocket(t *testing.T, p string) {
	t.Helper()
	short, err := os.MkdirTemp("", "s")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(short)
	l, err := net.Listen("unix", filepath.Join(short, "s"))
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	os.Remove(p)
	if err := os.Rename(filepath.Join(short, "s"), p); err != nil {
		t.Fatal(err)
	}
}

// TestNonRegularObjects: a FIFO, a socket, a directory or a symbolic link
// (even to a sound copy of the object) where an object file belongs is no
// object: every reader refuses it as corrupt without blocking or following
// it, we-fsck reports it and quarantines the entry itself (a link is moved,
// never what it points to), and a union neither copies it nor blocks on it.
func TestNonRegularObjects(t *testing.T) {
	s := newStore(t)
	r := stream("nonregular", 0)
	outside := t.TempDir()
	type entry struct {
		name, what string
		h          record.Hash
		make       func(p string)
	}
	var entries []entry
	for _, c := range []struct {
		name, what string
		make       func(t *testing.T, p string, z []byte)
	}{
		{"fifo", "a FIFO", func(t *testing.T, p string, _ []byte) { mkfifo(t, p) }},
		{"socket", "a socket", func(t *testing.T, p string, _ []byte) { mksocket(t, p) }},
		{"directory", "a directory", func(t *testing.T, p string, _ []byte) { os.Mkdir(p, 0o755) }},
		{"symlink to a sound copy", "a symbolic link", func(t *testing.T, p string, z []byte) {
			target := filepath.Join(outside, "copy")
			os.WriteFile(target, z, 0o444)
			os.Symlink(target, p)
		}},
		{"symlink to a FIFO", "a symbolic link", func(t *testing.T, p string, _ []byte) {
			target := filepath.Join(outside, "fifo")
			mkfifo(t, target)
			os.Symlink(target, p)
		}},
	} {
		it, _ := NewItem(makeState(r, 2))
		z := Compress(it.Data)
		c.make(t, s.Path(record.KindState, it.Hash), z)
		entries = append(entries, entry{c.name, c.what, it.Hash, nil})
	}
	for _, e := range entries {
		t.Run(e.name, func(t *testing.T) {
			p := s.Path(record.KindState, e.h)
			noBlock(t, "reading "+e.name, func() {
				if s.Has(record.KindState, e.h) {
					t.Error("Has: true")
				}
				if _, err := s.Kind(e.h); !errors.Is(err, ErrNotFound) {
					t.Errorf("Kind: %v", err)
				}
				_, err := s.GetKind(record.KindState, e.h)
				wantCorrupt(t, err, p, "not a regular file ("+e.what+")")
				if !errors.Is(err, ErrNotRegular) {
					t.Errorf("GetKind: %v is not ErrNotRegular", err)
				}
				_, err = LoadAs[*record.State](s, e.h)
				wantCorrupt(t, err, p, "not a regular file")
				_, err = s.ReadFile(record.KindState, e.h)
				wantCorrupt(t, err, p, "not a regular file")
			})
		})
	}
	var rep *CheckReport
	noBlock(t, "Check", func() {
		var err error
		rep, err = s.Check(CheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
	})
	if len(rep.Problems) != len(entries) {
		t.Errorf("Check found %d problems for %d entries: %v", len(rep.Problems), len(entries), rep.Problems)
	}
	for _, p := range rep.Problems {
		if !strings.Contains(p.What, "not a regular file") && p.What != "unexpected directory" {
			t.Errorf("problem %s", p)
		}
	}
	// A union from this store copies none of them, and does not block.
	dst := newStore(t)
	noBlock(t, "Union", func() {
		urep, err := dst.Union(s)
		if err != nil {
			t.Fatal(err)
		}
		if urep.Copied != 0 || len(urep.Problems) != len(entries) {
			t.Errorf("union: %d copied, problems %v", urep.Copied, urep.Problems)
		}
	})
	// Quarantine moves the entries themselves; the targets of the links
	// outside the store are untouched.
	before := listTree(t, outside)
	noBlock(t, "Check --quarantine", func() {
		rep, err := s.Check(CheckOptions{Quarantine: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Quarantined != len(entries)-1 {
			t.Errorf("quarantined %d", rep.Quarantined)
		}
	})
	if after := listTree(t, outside); strings.Join(before, " ") != strings.Join(after, " ") {
		t.Errorf("quarantine changed a directory outside the store:\n%v\n%v", before, after)
	}
	if _, err := os.Stat(filepath.Join(outside, "copy")); err != nil {
		t.Errorf("the link's target: %v", err)
	}
	for _, e := range entries[3:] {
		if fi, err := os.Lstat(filepath.Join(s.Dir(), corruptDir, "state-"+e.h.String())); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s: the link itself is not in quarantine: %v", e.name, err)
		}
	}
}

// TestNonRegularMarkerMemoTemp: a FIFO as the marker, a memo entry or a
// temp file blocks nothing: Open refuses the store, a memo entry is a
// miss (and is replaced by the next write), we-fsck counts the temp file
// and removes it when it is old.
func TestNonRegularMarkerMemoTemp(t *testing.T) {
	s := newStore(t)
	r := stream("nonregular-memo", 0)
	h := mustPut(t, s, makeState(r, 2))
	key := MemoKey("fifo")
	memo := filepath.Join(s.Dir(), memoDir, hexKey(key))
	mkfifo(t, memo)
	tmp := filepath.Join(s.Dir(), tmpDir, "w-0123456789abcdef.tmp")
	mkfifo(t, tmp)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(tmp, old, old)
	noBlock(t, "memo", func() {
		if _, ok := s.Memo(key); ok {
			t.Error("Memo: a FIFO is a hit")
		}
		if _, ok := s.ReadMemo(key); ok {
			t.Error("ReadMemo: a FIFO is a hit")
		}
		if _, ok := s.VerifiedMemo(key, record.KindState, nil); ok {
			t.Error("VerifiedMemo: a FIFO is a hit")
		}
		if err := s.PutMemo(key, h); err != nil {
			t.Fatal(err)
		}
		if hs, ok := s.Memo(key); !ok || hs[0] != h {
			t.Errorf("after PutMemo: %v %v", hs, ok)
		}
	})
	noBlock(t, "Check", func() {
		rep, err := s.Check(CheckOptions{RemoveTempsOlder: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if rep.TempsRemoved != 1 || len(rep.Problems) != 0 {
			t.Errorf("removed %d temp files; problems %v", rep.TempsRemoved, rep.Problems)
		}
	})
	marker := filepath.Join(s.Dir(), markerName)
	mkfifo(t, marker)
	noBlock(t, "Open", func() {
		_, err := Open(s.Dir())
		wantErr(t, err, s.Dir(), "not a regular file (a FIFO)")
		_, err = Create(s.Dir())
		wantErr(t, err, "not a regular file (a FIFO)")
	})
}

// TestSymlinkedDirectories: a store whose tmp/, memo/, corrupt/, objects/
// or objects/<kind>/ is a symbolic link is refused by Open and Create
// (nothing in a store is followed out of it), and nothing changes in the
// directory the link points to.
func TestSymlinkedDirectories(t *testing.T) {
	for _, d := range layoutDirs {
		t.Run(d, func(t *testing.T) {
			s := newStore(t)
			other := newStore(t)
			target := filepath.Join(other.Dir(), d)
			os.MkdirAll(target, 0o755)
			p := filepath.Join(s.Dir(), d)
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			before := listTree(t, other.Dir())
			_, err := Open(s.Dir())
			wantErr(t, err, s.Dir(), d+" is a symbolic link")
			_, err = Create(s.Dir())
			wantErr(t, err, d+" is a symbolic link")
			if after := listTree(t, other.Dir()); strings.Join(before, " ") != strings.Join(after, " ") {
				t.Errorf("the other store changed:\n%v\n%v", before, after)
			}
		})
	}
	// The store directory itself may be a link.
	s := newStore(t)
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(s.Dir(), link)
	if _, err := Open(link); err != nil {
		t.Errorf("a link to a store: %v", err)
	}
}

// TestCheckStaysInStore: directories replaced by links after the store
// was opened (as a hostile process sharing the file system could) make
// we-fsck neither remove temp files of another directory nor move
// objects of another store: it opens every directory it changes relative
// to the store without following links, and reports the link instead.
func TestCheckStaysInStore(t *testing.T) {
	s := newStore(t)
	other := newStore(t)
	r := stream("stays", 0)
	// Another store with a corrupt object and an old temp file.
	it, _ := NewItem(makeState(r, 2))
	bad := plant(t, other, record.KindState, it.Hash, []byte("garbage"))
	stale := filepath.Join(other.Dir(), tmpDir, "w-00000000deadbeef.tmp")
	os.WriteFile(stale, []byte("a writer's"), 0o644)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	before := listTree(t, other.Dir())
	// Our store's state directory and tmp/ become links to the other's.
	for _, d := range []string{tmpDir, filepath.Join(objectsDir, "state")} {
		os.RemoveAll(filepath.Join(s.Dir(), d))
		if err := os.Symlink(filepath.Join(other.Dir(), d), filepath.Join(s.Dir(), d)); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.Check(CheckOptions{RemoveTempsOlder: time.Nanosecond, Quarantine: true})
	if err != nil {
		t.Fatal(err)
	}
	if after := listTree(t, other.Dir()); strings.Join(before, " ") != strings.Join(after, " ") {
		t.Fatalf("Check changed another store:\n%v\n%v", before, after)
	}
	if _, err := os.Stat(bad); err != nil {
		t.Errorf("the other store's object was moved: %v", err)
	}
	if rep.TempsRemoved != 0 || rep.Quarantined != 0 {
		t.Errorf("removed %d temp files, quarantined %d", rep.TempsRemoved, rep.Quarantined)
	}
	var said []string
	for _, p := range rep.Problems {
		said = append(said, p.String())
	}
	all := strings.Join(said, "\n")
	for _, want := range []string{"tmp is a symbolic link", "state is a symbolic link"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not say %q:\n%s", want, all)
		}
	}
	if !bytes.Contains([]byte(all), []byte(it.Hash.String())) {
		t.Errorf("the corrupt object seen through the link is not reported:\n%s", all)
	}
}
