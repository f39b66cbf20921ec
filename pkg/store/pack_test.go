package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/record"
)

// contents reads every object of hs as Get does and returns their bytes.
func contents(t testing.TB, s *Store, hs []record.Hash) map[record.Hash][]byte {
	t.Helper()
	out := map[record.Hash][]byte{}
	for _, h := range hs {
		b, _, err := s.Get(h)
		if err != nil {
			t.Fatalf("get %s: %v", h.Short(), err)
		}
		out[h] = b
	}
	return out
}

// looseCount counts the loose object files of s.
func looseCount(t testing.TB, s *Store) int {
	t.Helper()
	n := 0
	for _, k := range record.Kinds {
		hs, err := looseNames(s.kindDir(k))
		if err != nil {
			t.Fatal(err)
		}
		n += len(hs)
	}
	return n
}

// packFiles lists the pack files of s.
func packFiles(t testing.TB, s *Store) []string {
	t.Helper()
	names, err := packNames(filepath.Join(s.Dir(), packsDir))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestPackThenRead(t *testing.T) {
	s := newStore(t)
	all, snaps := run(t, s, "pack", 5, 6)
	key := MemoKey("test", "memo")
	if err := s.PutMemo(key, snaps[0]); err != nil {
		t.Fatal(err)
	}
	progress := MemoKey("we-step/progress")
	if err := s.WriteMemo(progress, []byte("0 "+all[0].String()+"\n")); err != nil {
		t.Fatal(err)
	}
	want := contents(t, s, all)
	lists := map[record.Kind][]record.Hash{}
	for _, k := range record.Kinds {
		lists[k], _ = s.List(k)
	}
	rep, err := s.Pack(PackOptions{FrameSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Objects != len(all) || rep.Memo != 1 || rep.LooseRemoved != len(all) || len(rep.Problems) != 0 {
		t.Fatalf("report %+v, want %d objects and 1 memo entry", rep, len(all))
	}
	if n := looseCount(t, s); n != 0 {
		t.Fatalf("%d loose files left", n)
	}
	if _, err := os.Stat(s.memoPath(progress)); err != nil {
		t.Errorf("the progress entry was packed: %v", err)
	}
	// A fresh Store (another process) reads every object as before.
	s2, err := Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for h, b := range contents(t, s2, all) {
		if !bytes.Equal(b, want[h]) {
			t.Errorf("%s reads differently packed", h.Short())
		}
	}
	for _, k := range record.Kinds {
		got, err := s2.List(k)
		if err != nil || !slices.Equal(got, lists[k]) {
			t.Errorf("List(%s) = %d hashes, %v; want %d", k, len(got), err, len(lists[k]))
		}
	}
	for _, h := range all {
		k, err := s2.Kind(h)
		if err != nil || !s2.Has(k, h) {
			t.Fatalf("Kind/Has %s: %v", h.Short(), err)
		}
		if g, gk, err := s2.Resolve(h.String()[:10]); err != nil || g != h || gk != k {
			t.Errorf("Resolve %s: %v %s %v", h.Short(), g.Short(), gk, err)
		}
		z, err := s2.ReadFile(k, h)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := Decompress(z); err != nil || !bytes.Equal(b, want[h]) {
			t.Errorf("ReadFile %s: %v", h.Short(), err)
		}
	}
	if hs, ok := s2.Memo(key); !ok || len(hs) != 1 || hs[0] != snaps[0] {
		t.Errorf("packed memo entry: %v %v", hs, ok)
	}
	if _, ok := s2.VerifiedMemo(key, record.KindSnapshot, nil); !ok {
		t.Error("packed memo entry: VerifiedMemo misses")
	}
	rc := checkClean(t, s2)
	if rc.Packs != 1 || rc.Shadowed != 0 {
		t.Errorf("check: %d packs, %d shadowed", rc.Packs, rc.Shadowed)
	}
	// More loose objects, a second pack, then --all makes one.
	more, _ := run(t, s2, "pack-more", 3, 2)
	if _, err := s2.Pack(PackOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(packFiles(t, s2)); n != 2 {
		t.Fatalf("%d packs, want 2", n)
	}
	rep, err = s2.Pack(PackOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(packFiles(t, s2)); n != 1 || rep.PacksRemoved != 2 {
		t.Fatalf("%d packs after --all (%+v), want 1", n, rep)
	}
	contents(t, s2, append(all, more...))
	checkClean(t, s2)
	// A loose copy of a packed object (a writer's, or a crash's) is a
	// note; the next pack removes it.
	mustPut(t, s2, makeState(stream("pack", 0), 3))
	s3, _ := Open(s2.Dir())
	if rc := checkClean(t, s3); rc.Shadowed != 1 {
		t.Errorf("shadowed = %d, want 1", rc.Shadowed)
	}
	rep, err = s3.Pack(PackOptions{})
	if err != nil || rep.LooseRemoved != 1 || rep.Pack != "" {
		t.Errorf("pack of a shadowed copy: %+v %v", rep, err)
	}
}

// flipIn flips one byte of file p at offset off.
func flipIn(t testing.TB, p string, off int64) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o644)
	b[off] ^= 0x55
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPackFlippedByte(t *testing.T) {
	for _, where := range []string{"frame", "index", "trailer"} {
		t.Run(where, func(t *testing.T) {
			s := newStore(t)
			all, _ := run(t, s, "flip", 4, 3)
			// Raw frames (level "fastest" compresses these states little)
			// let a flip hit exactly one object.
			if _, err := s.Pack(PackOptions{FrameSize: 1 << 10}); err != nil {
				t.Fatal(err)
			}
			name := packFiles(t, s)[0]
			p := filepath.Join(s.Dir(), packsDir, name)
			pk, err := openPackFull(p)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(p)
			var off int64
			var hit packEntry
			switch where {
			case "frame":
				hit = pk.entry(pk.count() / 2)
				off = int64(hit.frameOff) + int64(hit.frameLen)/2
			case "index":
				// A byte of the hash of the last object's entry (not a
				// memo entry's).
				for i := pk.count() - 1; i >= 0; i-- {
					if hit = pk.entry(i); hit.code != packKindMemo {
						off = int64(pk.ixOff) + int64(i)*packEntrySize + 10
						break
					}
				}
			case "trailer":
				off = st.Size() - 20
			}
			flipIn(t, p, off)
			s2, _ := Open(s.Dir())
			rep, err := s2.Check(CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) == 0 {
				t.Fatal("a flipped byte went unnoticed")
			}
			for _, pr := range rep.Problems {
				if !strings.Contains(pr.Path, name) && !strings.Contains(pr.What, "dangling") {
					t.Errorf("problem does not name the pack: %v", pr)
				}
			}
			if where == "frame" {
				// The problems name objects of the frame hit, and every
				// other object reads.
				inFrame := map[string]bool{}
				for i := 0; i < pk.count(); i++ {
					if e := pk.entry(i); e.frameOff == hit.frameOff {
						inFrame[e.hash.String()] = true
					}
				}
				named := 0
				for _, pr := range rep.Problems {
					for h := range inFrame {
						if strings.Contains(pr.Path, h) {
							named++
						}
					}
				}
				if named == 0 {
					t.Errorf("no problem names an object of the frame hit: %v", rep.Problems)
				}
				for _, h := range all {
					if _, _, err := s2.Get(h); err != nil && !inFrame[h.String()] {
						t.Errorf("object %s outside the frame hit: %v", h.Short(), err)
					}
				}
			} else {
				// A lookup searches the index in place and checks only
				// the entries it takes (FORMAT.md §1.6): every object
				// reads, verified, except the one whose entry was hit,
				// whose miss names the damaged pack.
				found := false
				for _, h := range all {
					_, _, err := s2.Get(h)
					switch {
					case where == "index" && h == hit.hash:
						found = true
						if err == nil || !strings.Contains(err.Error(), name) {
							t.Errorf("the object of the damaged entry: %v, want an error naming the pack", err)
						}
					case err != nil:
						t.Errorf("object %s, whose entry is intact: %v", h.Short(), err)
					}
				}
				if where == "index" && !found {
					t.Errorf("the damaged entry's object %s is not among the run's", hit.hash.Short())
				}
			}
		})
	}
}

func TestPackHostile(t *testing.T) {
	s := newStore(t)
	all, _ := run(t, s, "hostile", 3, 2)
	if _, err := s.Pack(PackOptions{}); err != nil {
		t.Fatal(err)
	}
	name := packFiles(t, s)[0]
	p := filepath.Join(s.Dir(), packsDir, name)
	good, _ := os.ReadFile(p)
	cases := map[string]func() error{
		"truncated": func() error { return os.WriteFile(p, good[:len(good)-10], 0o644) },
		"empty":     func() error { return os.WriteFile(p, nil, 0o644) },
		"huge count": func() error {
			b := append([]byte(nil), good...)
			b[len(b)-packTrailerSize+15] = 0x7f
			return os.WriteFile(p, b, 0o644)
		},
		"symlink": func() error {
			other := filepath.Join(t.TempDir(), "x.pack")
			os.WriteFile(other, good, 0o644)
			os.Remove(p)
			return os.Symlink(other, p)
		},
		"fifo": func() error { os.Remove(p); mkfifo(t, p); return nil },
		"dir":  func() error { os.Remove(p); return os.Mkdir(p, 0o755) },
	}
	for what, damage := range cases {
		t.Run(what, func(t *testing.T) {
			os.Chmod(p, 0o644)
			os.RemoveAll(p)
			if err := damage(); err != nil {
				t.Skipf("cannot make it here: %v", err)
			}
			s2, err := Open(s.Dir())
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s2.Get(all[0]); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("read: %v", err)
			}
			rep, err := s2.Check(CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, pr := range rep.Problems {
				found = found || strings.Contains(pr.Path, name)
			}
			if !found {
				t.Errorf("check does not report the pack: %v", rep.Problems)
			}
		})
	}
	os.RemoveAll(p)
	os.WriteFile(p, good, 0o444)
	// A frame that claims a huge content: refused before any allocation.
	pk, _ := openPackFull(p)
	e := pk.entry(0)
	b := append([]byte(nil), good...)
	fr := b[e.frameOff : e.frameOff+uint64(e.frameLen)]
	if _, err := walkFrame(fr); err != nil {
		t.Fatal(err)
	}
	// The packs directory as a link is refused at Open.
	os.Rename(filepath.Join(s.Dir(), packsDir), filepath.Join(s.Dir(), "elsewhere"))
	os.Symlink("elsewhere", filepath.Join(s.Dir(), packsDir))
	if _, err := Open(s.Dir()); err == nil || !strings.Contains(err.Error(), "packs is a symbolic link") {
		t.Errorf("packs/ as a link: %v", err)
	}
}

func TestPackUnion(t *testing.T) {
	t.Run("packed into loose", func(t *testing.T) {
		src, dst := newStore(t), newStore(t)
		all, _ := run(t, src, "u1", 4, 4)
		if _, err := src.Pack(PackOptions{}); err != nil {
			t.Fatal(err)
		}
		rep, err := dst.Union(src)
		if err != nil || rep.Copied != len(all) || len(rep.Problems) != 0 {
			t.Fatalf("union: %+v %v", rep, err)
		}
		contents(t, dst, all)
		checkClean(t, dst)
	})
	t.Run("loose into packed", func(t *testing.T) {
		src, dst := newStore(t), newStore(t)
		all, _ := run(t, src, "u2", 4, 4)
		shared, _ := run(t, dst, "u2", 4, 2)
		if _, err := dst.Pack(PackOptions{}); err != nil {
			t.Fatal(err)
		}
		rep, err := dst.Union(src)
		if err != nil || rep.Copied != len(all)-len(shared) || rep.Present != len(shared) || len(rep.Problems) != 0 {
			t.Fatalf("union: %+v %v", rep, err)
		}
		contents(t, dst, all)
		checkClean(t, dst)
	})
	t.Run("repair a packed copy", func(t *testing.T) {
		src, dst := newStore(t), newStore(t)
		all, _ := run(t, src, "u3", 2, 2)
		run(t, dst, "u3", 2, 2)
		if _, err := dst.Pack(PackOptions{FrameSize: 1}); err != nil { // one object a frame
			t.Fatal(err)
		}
		p := filepath.Join(dst.Dir(), packsDir, packFiles(t, dst)[0])
		pk, _ := openPackFull(p)
		e := pk.entry(0)
		flipIn(t, p, int64(e.frameOff+uint64(e.frameLen)-2))
		d2, _ := Open(dst.Dir())
		if _, _, err := d2.Get(e.hash); err == nil {
			t.Fatal("damage not seen")
		}
		rep, err := d2.Union(src)
		if err != nil || rep.Repaired != 1 {
			t.Fatalf("union: %+v %v", rep, err)
		}
		contents(t, d2, all)
		// A repack takes the sound loose copy and drops the damaged pack.
		prep, err := d2.Pack(PackOptions{All: true})
		if err != nil || prep.PacksRemoved != 1 || len(prep.Problems) > 0 {
			t.Fatalf("repack: %+v %v", prep, err)
		}
		d3, _ := Open(dst.Dir())
		contents(t, d3, all)
		checkClean(t, d3)
	})
}

func TestPackBusy(t *testing.T) {
	s := newStore(t)
	run(t, s, "busy", 2, 1)
	os.MkdirAll(filepath.Join(s.Dir(), packsDir), 0o755)
	unlock, ok, err := lockDir(filepath.Join(s.Dir(), packsDir))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	defer unlock()
	if _, err := s.Pack(PackOptions{}); !errors.Is(err, ErrPackBusy) {
		t.Errorf("second packer: %v", err)
	}
}

// FuzzPackRead feeds arbitrary bytes to the readers as a pack file: the
// index parser, the frame reads, every object read, listings and Check.
// Nothing panics; what a read returns hashes to the name it was asked
// for; memory stays bounded by the object size limit.
func FuzzPackRead(f *testing.F) {
	vec, err := os.ReadFile(packVectorFile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(vec)
	f.Add(vec[:len(vec)-1])
	f.Add(vec[:100])
	flipped := append([]byte(nil), vec...)
	flipped[300] ^= 1
	f.Add(flipped)
	f.Add([]byte(packMagic))
	s, err := Create(filepath.Join(f.TempDir(), "store"))
	if err != nil {
		f.Fatal(err)
	}
	dir := filepath.Join(s.Dir(), packsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	old := MaxObjectSize
	f.Fuzz(func(t *testing.T, b []byte) {
		MaxObjectSize = 1 << 22
		defer func() { MaxObjectSize = old }()
		fuzzPack(t, s, dir, b)
		// The same bytes with the index checksum made right, so that
		// the fuzzer's changes to the index and frames reach the readers.
		if fixed, ok := fixPackSum(b); ok {
			fuzzPack(t, s, dir, fixed)
		}
	})
}

// fixPackSum returns b with its trailer's index checksum recomputed, if
// its trailer locates an index.
func fixPackSum(b []byte) ([]byte, bool) {
	if len(b) < packHeaderSize+packTrailerSize {
		return nil, false
	}
	tr := len(b) - packTrailerSize
	ixOff := binary.LittleEndian.Uint64(b[tr:])
	if ixOff < packHeaderSize || ixOff > uint64(tr) {
		return nil, false
	}
	out := append([]byte(nil), b...)
	sum := sha256.Sum256(out[ixOff:tr])
	copy(out[tr+16:], sum[:])
	return out, !bytes.Equal(out, b)
}

// fuzzPack reads pack b in store s every way a reader does.
func fuzzPack(t *testing.T, s *Store, dir string, b []byte) {
	name := hexSum(b) + packSuffix
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(p)
	st, err := Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	// Lookups search the index in place whatever its checksum and order
	// (FORMAT.md §1.6): look up what its first entries name, as every
	// kind.
	if ixOff, count, _, err := parsePackEnds(bytes.NewReader(b), int64(len(b))); err == nil {
		for i := 0; i < min(int(count), 64); i++ {
			h := record.Hash(b[ixOff+uint64(i)*packEntrySize:][:32])
			for _, k := range record.Kinds {
				if data, err := st.GetKind(k, h); err == nil && record.Sum(data) != h {
					t.Fatalf("read %s: bytes of another hash", h.Short())
				}
			}
		}
	}
	ix, err := parsePack(bytes.NewReader(b), int64(len(b)))
	if err == nil {
		pk := &pack{name: name, path: p, size: int64(len(b)), index: ix}
		for i := 0; i < min(pk.count(), 64); i++ {
			e := pk.entry(i)
			if e.code == packKindMemo {
				st.memoBytes(e.hash)
				continue
			}
			data, err := st.GetKind(e.kind(), e.hash)
			if err == nil && record.Sum(data) != e.hash {
				t.Fatalf("read %s: bytes of another hash", e.hash.Short())
			}
		}
	}
	for _, k := range record.Kinds {
		st.List(k)
	}
	if _, err := st.Check(CheckOptions{}); err != nil {
		t.Fatal(err)
	}
}

func hexSum(b []byte) string {
	h := record.Sum(b)
	return h.String()
}

// TestStoredSize: a loose object's stored size is its file's; packed,
// each object gets a positive share of its frame, and the shares add up
// to the frames, within rounding (less than a byte an object), which the
// pack's header, index and trailer exceed.
func TestStoredSize(t *testing.T) {
	s := newStore(t)
	all, _ := run(t, s, "storedsize", 4, 6)
	var loose int64
	for _, h := range all {
		k, err := s.Kind(h)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(s.Path(k, h))
		if err != nil {
			t.Fatal(err)
		}
		n, ok := s.StoredSize(k, h)
		if !ok || n != fi.Size() {
			t.Fatalf("%s: stored size %d, %v; its file has %d bytes", h.Short(), n, ok, fi.Size())
		}
		loose += n
	}
	if _, err := s.Pack(PackOptions{FrameSize: 2 << 10}); err != nil {
		t.Fatal(err)
	}
	var packed, files int64
	for _, h := range all {
		k, _ := s.Kind(h)
		n, ok := s.StoredSize(k, h)
		if !ok || n <= 0 {
			t.Fatalf("%s packed: stored size %d, %v", h.Short(), n, ok)
		}
		packed += n
	}
	for _, p := range packFiles(t, s) {
		fi, err := os.Stat(filepath.Join(s.Dir(), packsDir, p))
		if err != nil {
			t.Fatal(err)
		}
		files += fi.Size()
	}
	if packed > files || packed < files-int64(len(all))-packTrailerSize-8-int64(len(all))*packEntrySize {
		t.Errorf("packed shares add up to %d bytes; the packs hold %d (loose: %d)", packed, files, loose)
	}
	if _, ok := s.StoredSize(record.KindState, record.Hash{1}); ok {
		t.Error("a stored size for an object the store does not hold")
	}
}

// TestPackRerunLoose: a packer killed after it renamed its pack in, before
// it removed the loose files it packed, leaves loose objects and memo
// entries that the pack also holds; a rerun removes them and writes no
// second pack.
func TestPackRerunLoose(t *testing.T) {
	s := newStore(t)
	all, snaps := run(t, s, "rerun", 3, 4)
	for i, h := range snaps {
		if err := s.PutMemo(MemoKey("rerun", strconv.Itoa(i)), h); err != nil {
			t.Fatal(err)
		}
	}
	saved := map[string][]byte{}
	for _, d := range append([]string{memoDir}, func() (ds []string) {
		for _, k := range record.Kinds {
			ds = append(ds, filepath.Join(objectsDir, string(k)))
		}
		return ds
	}()...) {
		ents, _ := os.ReadDir(filepath.Join(s.Dir(), d))
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(s.Dir(), d, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			saved[filepath.Join(d, e.Name())] = b
		}
	}
	if _, err := s.Pack(PackOptions{}); err != nil {
		t.Fatal(err)
	}
	// The killed packer's leftovers: every loose file back.
	for p, b := range saved {
		if err := os.WriteFile(filepath.Join(s.Dir(), p), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.Pack(PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(packFiles(t, s)); n != 1 {
		t.Errorf("%d packs after the rerun, want 1 (report %+v)", n, rep)
	}
	if n := looseCount(t, s); n != 0 {
		t.Errorf("%d loose objects after the rerun", n)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Dir(), memoDir)); len(ents) != 0 {
		t.Errorf("%d loose memo entries after the rerun", len(ents))
	}
	if got := len(contents(t, s, all)); got != len(all) {
		t.Errorf("%d of %d objects read", got, len(all))
	}
	if _, ok := s.Memo(MemoKey("rerun", "0")); !ok {
		t.Error("a packed memo entry is not found")
	}
}

// TestPackLookupInPlace: a lookup in the mapped index finds exactly what
// a search of the index read whole and checked finds, for every object
// and for absent hashes; in an index damaged in place (an entry out of
// bounds, entries out of order) it takes no bad entry, never crashes,
// and every object it does return reads verified.
func TestPackLookupInPlace(t *testing.T) {
	s := newStore(t)
	all, _ := run(t, s, "inplace", 40, 5)
	if _, err := s.Pack(PackOptions{}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(s.Dir(), packsDir, packFiles(t, s)[0])
	lazy, err := openPack(p)
	if err != nil {
		t.Fatal(err)
	}
	if lazy.mapped == nil {
		t.Skip("files are not mapped on this system: lookups load the index")
	}
	full, err := openPackFull(p)
	if err != nil {
		t.Fatal(err)
	}
	probe := slices.Clone(all)
	for i := range 200 {
		probe = append(probe, record.Sum([]byte{byte(i), 'x'}))
	}
	for _, h := range probe {
		got, want := lazy.lookup(h), searchPackIndex(full.index, h, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: in place %v, loaded %v", h.Short(), got, want)
		}
	}
	if lazy.index != nil {
		t.Error("lookups loaded the index")
	}
	// Damaged in place, without the checksum made right: entry 3 points
	// beyond the frames; entries 10 and 11 are swapped.
	b, _ := os.ReadFile(p)
	ixOff := int(full.ixOff)
	bad := full.entry(3)
	binary.LittleEndian.PutUint64(b[ixOff+3*packEntrySize+40:], uint64(len(b)))
	e10 := slices.Clone(b[ixOff+10*packEntrySize : ixOff+11*packEntrySize])
	copy(b[ixOff+10*packEntrySize:], b[ixOff+11*packEntrySize:ixOff+12*packEntrySize])
	copy(b[ixOff+11*packEntrySize:], e10)
	q := filepath.Join(t.TempDir(), "damaged.pack")
	if err := os.WriteFile(q, b, 0o644); err != nil {
		t.Fatal(err)
	}
	dam, err := openPack(q)
	if err != nil {
		t.Fatal(err)
	}
	if got := dam.lookup(bad.hash); len(got) != 0 {
		t.Errorf("an entry beyond the frames was taken: %v", got)
	}
	for _, h := range probe {
		for _, e := range dam.lookup(h) {
			data, err := readPackEntry(dam, e)
			if err == nil && e.code != packKindMemo && record.Sum(data) != h {
				t.Fatalf("%s: the bytes of another hash", h.Short())
			}
		}
	}
	if err := dam.load(); err == nil {
		t.Error("a damaged index loaded whole")
	}
}
