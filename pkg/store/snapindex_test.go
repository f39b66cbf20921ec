package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/pkg/record"
)

const indexVector = "testdata/snapindex-v2.bin"

// vectorStamps are the directory stamps of the test vector: objects/snapshot/
// as some ext4 directory, and no packs/.
var vectorStamps = snapStamps{{Ino: 1234567, Size: 4096, Mtime: 1764720000123456789, Ctime: 1764720000223456789}}

// vectorInfos are the entries of the snapshot index test vector
// (FORMAT.md §1.5): a root, a step, shard 1 of 2 of that step and a merge
// of the step with a snapshot the store lacks.
func vectorInfos() []SnapInfo {
	sum := func(s string) record.Hash { return record.Sum([]byte("index vector: " + s)) }
	root, step, other := sum("root"), sum("step"), sum("other")
	return []SnapInfo{
		{Hash: root, System: sum("system"), Cycle: 0, Weight: 1, Walkers: 2, Tool: "we-init"},
		{Hash: step, System: sum("system"), Cycle: 1, Weight: 1, Walkers: 2, Tool: "we-step", Parents: []record.Hash{root}},
		{Hash: sum("shard"), System: sum("system"), Cycle: 1, Weight: 0.5, Walkers: 1, Tool: "we-step", Parents: []record.Hash{root},
			Shard: &record.Shard{Index: 1, Count: 2, Total: 2}},
		{Hash: sum("merge"), System: sum("system"), Cycle: 2, Weight: 1, Walkers: 4, Tool: "we-merge", Parents: []record.Hash{step, other}},
	}
}

func sortedInfos(infos []SnapInfo) []SnapInfo {
	out := slices.Clone(infos)
	slices.SortFunc(out, func(a, b SnapInfo) int { return compareHash(a.Hash, b.Hash) })
	return out
}

// fataler is what sameInfos needs of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func sameInfos(t fataler, got, want []SnapInfo) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Equal(&want[i]) {
			t.Fatalf("entry %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestSnapIndexVector checks that Go writes exactly the committed test
// vector of FORMAT.md §1.5 and reads it back (scripts/check_format.py
// --index reads it independently).
func TestSnapIndexVector(t *testing.T) {
	b, err := encodeSnapIndex(vectorInfos(), vectorStamps, true)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(indexVector, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file, err := os.ReadFile(indexVector)
	if err != nil {
		t.Fatalf("%v (regenerate with go test ./pkg/store -run TestSnapIndexVector -update)", err)
	}
	if !bytes.Equal(file, b) {
		t.Fatalf("%s differs from what EncodeSnapIndex writes (%d bytes, file %d)", indexVector, len(b), len(file))
	}
	got, err := DecodeSnapIndex(file)
	if err != nil {
		t.Fatal(err)
	}
	sameInfos(t, got, sortedInfos(vectorInfos()))
	x, err := ParseSnapIndex(file)
	if err != nil || !x.complete || x.stamps != vectorStamps {
		t.Errorf("vector: complete %v, stamps %+v, err %v; want complete, %+v", x != nil && x.complete, x, err, vectorStamps)
	}
	if len(file) != 96+4*112+4*32+len("we-initwe-stepwe-merge")+4 {
		t.Errorf("vector of %d bytes, FORMAT.md §1.5 gives its layout", len(file))
	}
}

// TestSnapIndexDamage: every way the file can be wrong makes it unusable,
// never a crash and never entries taken from it.
func TestSnapIndexDamage(t *testing.T) {
	good, err := encodeSnapIndex(vectorInfos(), vectorStamps, true)
	if err != nil {
		t.Fatal(err)
	}
	resum := func(b []byte) []byte {
		b = slices.Clone(b)
		return resumIndex(b)
	}
	set32 := func(off int, v uint32) []byte {
		b := slices.Clone(good)
		binary.LittleEndian.PutUint32(b[off:], v)
		return resum(b)
	}
	entry := func(i, field int) int { return 96 + i*112 + field }
	swapped := slices.Clone(good)
	e0, e1 := swapped[entry(0, 0):entry(1, 0)], swapped[entry(1, 0):entry(2, 0)]
	tmp := slices.Clone(e0)
	copy(e0, e1)
	copy(e1, tmp)
	cases := map[string][]byte{
		"empty":             nil,
		"magic":             append([]byte("WEPIPEIX"), good[8:]...),
		"version 1":         set32(8, 1),
		"version 3":         set32(8, 3),
		"short header":      resum(append(slices.Clone(good[:40]), make([]byte, 32)...)),
		"unknown flag":      set32(24, 3),
		"stamps, no flag":   set32(24, 0),
		"reserved":          set32(28, 1),
		"truncated":         good[:len(good)-1],
		"one byte more":     append(slices.Clone(good), 0),
		"flipped byte":      func() []byte { b := slices.Clone(good); b[100] ^= 1; return b }(),
		"flipped checksum":  func() []byte { b := slices.Clone(good); b[len(b)-1] ^= 1; return b }(),
		"huge count":        set32(12, math.MaxUint32),
		"huge parents":      set32(16, math.MaxUint32),
		"huge strings":      set32(20, math.MaxUint32),
		"parent offset":     set32(entry(1, 84), math.MaxUint32),
		"parent count":      set32(entry(1, 88), 6),
		"tool offset":       set32(entry(0, 92), math.MaxUint32),
		"tool length":       set32(entry(0, 96), 1000),
		"shard index":       set32(entry(0, 100), 7),
		"shard beyond":      func() []byte { b := set32(entry(0, 104), 2); b = resumPut(b, entry(0, 100), 2); return b }(),
		"shard count huge":  set32(entry(0, 104), math.MaxUint32),
		"tools overlap":     resumPut(set32(entry(1, 96), 22), entry(1, 92), 0),
		"out of hash order": resum(swapped),
	}
	for name, b := range cases {
		if _, err := DecodeSnapIndex(b); !errors.Is(err, ErrBadIndex) {
			t.Errorf("%s: %v, want ErrBadIndex", name, err)
		}
	}
}

// resumIndex sets the checksum of index file b to its bytes' (b is
// changed).
func resumIndex(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	return b
}

func resumPut(b []byte, off int, v uint32) []byte {
	binary.LittleEndian.PutUint32(b[off:], v)
	return resumIndex(b)
}

// chainStore writes a small store: a system, states and n snapshots in a
// chain, and returns it with the snapshots' hashes, oldest first.
func chainStore(t *testing.T, n int) (*Store, []record.Hash) {
	t.Helper()
	s := newStore(t)
	r := stream(t.Name(), 0)
	st := mustPut(t, s, makeState(r, 2))
	sys := mustPut(t, s, makeSystem(2, st))
	var hs []record.Hash
	var parent []record.Hash
	for c := 0; c < n; c++ {
		sn := makeSnapshot(uint64(c), sys, []record.Hash{st, st}, nil, parent...)
		h := mustPut(t, s, sn)
		hs = append(hs, h)
		parent = []record.Hash{h}
	}
	return s, hs
}

// decodedInfos lists the store by decoding every snapshot.
func decodedInfos(t *testing.T, s *Store) []SnapInfo {
	t.Helper()
	hs, err := s.List(record.KindSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	var out []SnapInfo
	for _, h := range hs {
		sn, err := LoadAs[*record.Snapshot](s, h)
		if err != nil {
			continue
		}
		out = append(out, InfoOf(h, sn))
	}
	return out
}

func listed(t testing.TB, s *Store) []SnapInfo {
	t.Helper()
	infos, _, err := s.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	return infos
}

// TestSnapIndexStale: whatever happened to the index — missing, behind
// the store, naming removed snapshots, truncated, damaged, of another
// version, not a regular file — Snapshots lists what decoding lists and
// leaves a sound index behind.
func TestSnapIndexStale(t *testing.T) {
	s, hs := chainStore(t, 6)
	want := decodedInfos(t, s)
	p := s.SnapIndexPath()
	sameInfos(t, listed(t, s), want) // no index: built
	if idx, err := s.ReadSnapIndex(); err != nil {
		t.Fatalf("no index written: %v", err)
	} else {
		sameInfos(t, idx, want)
	}
	damage := map[string]func(){
		"removed": func() { os.Remove(p) },
		"truncated": func() {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		},
		"flipped byte": func() {
			b, _ := os.ReadFile(p)
			b[30] ^= 0x10
			os.WriteFile(p, b, 0o644)
		},
		"wrong version": func() {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, resumPut(b, 8, 9), 0o644)
		},
		"a FIFO": func() {
			os.Remove(p)
			mkfifo(t, p)
		},
		"a link": func() {
			os.Remove(p)
			other := filepath.Join(t.TempDir(), "other")
			b, _ := EncodeSnapIndex(vectorInfos())
			os.WriteFile(other, b, 0o644)
			os.Symlink(other, p)
		},
	}
	for name, f := range damage {
		f()
		sameInfos(t, listed(t, s), want)
		idx, err := s.ReadSnapIndex()
		if err != nil {
			t.Fatalf("%s: index not rebuilt: %v", name, err)
		}
		sameInfos(t, idx, want)
	}
	// Snapshots added after the index was written are decoded and added.
	last, _ := LoadAs[*record.Snapshot](s, hs[len(hs)-1])
	parent := hs[len(hs)-1]
	for c := 0; c < 3; c++ {
		sn := makeSnapshot(uint64(10+c), last.System, []record.Hash{last.Walkers[0].State}, nil, parent)
		parent = mustPut(t, s, sn)
	}
	want = decodedInfos(t, s)
	sameInfos(t, listed(t, s), want)
	idx, _ := s.ReadSnapIndex()
	sameInfos(t, idx, want)
	// A snapshot removed: its entry is dropped.
	os.Remove(s.Path(record.KindSnapshot, hs[0]))
	want = decodedInfos(t, s)
	sameInfos(t, listed(t, s), want)
	idx, _ = s.ReadSnapIndex()
	sameInfos(t, idx, want)
}

// TestSnapIndexReadOnly: a store that cannot be written is listed by
// decoding, without an error.
func TestSnapIndexReadOnly(t *testing.T) {
	s, _ := chainStore(t, 3)
	want := decodedInfos(t, s)
	// A read-only store: tmp/ without write permission, and, since root
	// writes anywhere, every new file refused as on a read-only mount.
	os.Chmod(filepath.Join(s.Dir(), tmpDir), 0o555)
	defer os.Chmod(filepath.Join(s.Dir(), tmpDir), 0o755)
	failWrite = func(string) error { return syscall.EROFS }
	defer func() { failWrite = nil }()
	sameInfos(t, listed(t, s), want)
	if _, err := s.ReadSnapIndex(); err == nil {
		t.Error("an index was written in a read-only store")
	}
}

// TestSnapIndexPacked: snapshots that are packed (FORMAT.md §1.6) are
// listed through the index as loose ones are, and the index Check
// rebuilds holds them.
func TestSnapIndexPacked(t *testing.T) {
	s, _ := chainStore(t, 5)
	want := decodedInfos(t, s)
	if _, err := s.Pack(PackOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := looseCount(t, s); n != 0 {
		t.Fatalf("%d loose files after packing", n)
	}
	sameInfos(t, listed(t, s), want)
	os.Remove(s.SnapIndexPath())
	if rep := checkClean(t, s); rep.IndexRepaired != "" {
		t.Errorf("a missing index reported as repaired: %s", rep.IndexRepaired)
	}
	idx, err := s.ReadSnapIndex()
	if err != nil {
		t.Fatal(err)
	}
	sameInfos(t, idx, want)
}

// TestSnapIndexCorruptSnapshot: a snapshot that cannot be read is
// reported and left out, and the index does not hold it.
func TestSnapIndexCorruptSnapshot(t *testing.T) {
	s, hs := chainStore(t, 4)
	z, _ := s.ReadFile(record.KindSnapshot, hs[2])
	z[len(z)-1] ^= 0xff
	os.Chmod(s.Path(record.KindSnapshot, hs[2]), 0o644)
	os.WriteFile(s.Path(record.KindSnapshot, hs[2]), z, 0o644)
	infos, bad, err := s.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 1 || len(infos) != 3 {
		t.Fatalf("%d listed, %d bad (%v), want 3 and 1", len(infos), len(bad), bad)
	}
	idx, err := s.ReadSnapIndex()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := FindInfo(idx, hs[2]); ok {
		t.Error("the index holds a corrupt snapshot")
	}
}

// TestSnapIndexCheck: we-fsck's Check rewrites an index whose entries
// disagree with their snapshots and says so, and brings a stale one up to
// date silently.
func TestSnapIndexCheck(t *testing.T) {
	s, _ := chainStore(t, 4)
	want := decodedInfos(t, s)
	rep := checkClean(t, s)
	if rep.IndexRepaired != "" {
		t.Errorf("a missing index reported as repaired: %s", rep.IndexRepaired)
	}
	// An index that lies about a cycle, with a valid checksum.
	wrong := slices.Clone(want)
	wrong[1].Cycle = 77
	b, err := EncodeSnapIndex(wrong)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.SnapIndexPath(), b, 0o644)
	rep = checkClean(t, s)
	if rep.IndexRepaired == "" {
		t.Error("a wrong index not reported")
	}
	idx, err := s.ReadSnapIndex()
	if err != nil {
		t.Fatal(err)
	}
	sameInfos(t, idx, want)
	if rep = checkClean(t, s); rep.IndexRepaired != "" {
		t.Errorf("a sound index reported as repaired: %s", rep.IndexRepaired)
	}
	b[40] ^= 1
	os.WriteFile(s.SnapIndexPath(), b, 0o644)
	if rep = checkClean(t, s); rep.IndexRepaired == "" {
		t.Error("a damaged index not reported")
	}
}

// TestSnapIndexMatchesDecoding is the property: for any store of chains
// and merges, with any subset of its snapshots in the index (a stale
// one), some removed and some packed, the listing equals the listing by
// decoding, and the index left behind holds every snapshot. Settled, the
// directories count as unchanged for long (a run that ended): the index
// is then marked complete, and the listing after it is served by the
// index alone, with the same entries.
func TestSnapIndexMatchesDecoding(t *testing.T) {
	for _, settled := range []bool{false, true} {
		t.Run(map[bool]string{false: "active", true: "settled"}[settled], func(t *testing.T) {
			if settled {
				settleAll(t)
			}
			s := newStore(t)
			state := makeState(stream(t.Name(), 0), 2)
			st := mustPut(t, s, state)
			system := makeSystem(2, st)
			sys := mustPut(t, s, system)
			rapid.Check(t, func(rt *rapid.T) {
				os.Remove(s.SnapIndexPath())
				hs, _ := s.List(record.KindSnapshot)
				for _, h := range hs {
					os.Remove(s.Path(record.KindSnapshot, h))
				}
				removePacks(t, s)
				mustPut(t, s, state) // if it was packed
				mustPut(t, s, system)
				var all []record.Hash
				n := rapid.IntRange(0, 20).Draw(rt, "snapshots")
				for i := 0; i < n; i++ {
					var parents []record.Hash
					if len(all) > 0 {
						np := rapid.IntRange(0, min(3, len(all))).Draw(rt, "parents")
						for k := 0; k < np; k++ {
							parents = append(parents, all[rapid.IntRange(0, len(all)-1).Draw(rt, "parent")])
						}
					}
					sn := makeSnapshot(rapid.Uint64Range(0, 5).Draw(rt, "cycle"), sys, []record.Hash{st}, nil, parents...)
					sn.Op.Tool = rapid.SampledFrom([]string{"we-init", "we-step", "we-resample", "we-merge"}).Draw(rt, "tool")
					if rapid.Bool().Draw(rt, "shard") {
						sn.Shard = &record.Shard{Index: 0, Count: 2, Total: 2}
						sn.Walkers[0].Weight = 0.5
					}
					h, err := s.PutAfter(sn, map[record.Hash]bool{st: true, sys: true})
					if err != nil {
						rt.Fatal(err)
					}
					all = append(all, h)
					switch rapid.IntRange(0, 4).Draw(rt, "then") {
					case 0, 1:
						if _, _, err := s.Snapshots(); err != nil {
							rt.Fatal(err)
						}
					case 2:
						if _, err := s.Pack(PackOptions{}); err != nil {
							rt.Fatal(err)
						}
					}
				}
				// Some loose snapshots removed (packed ones stay), after
				// their children were written, which need their parents.
				for k := rapid.IntRange(0, 2).Draw(rt, "removals"); k > 0 && len(all) > 0; k-- {
					os.Remove(s.Path(record.KindSnapshot, all[rapid.IntRange(0, len(all)-1).Draw(rt, "removed")]))
					if rapid.Bool().Draw(rt, "index after removal") {
						if _, _, err := s.Snapshots(); err != nil {
							rt.Fatal(err)
						}
					}
				}
				want := decodedInfos(t, s)
				got, bad, err := s.Snapshots()
				if err != nil || len(bad) > 0 {
					rt.Fatal(err, bad)
				}
				sameInfos(rt, got, want)
				idx, err := s.ReadSnapIndex()
				if len(want) > 0 && (err != nil || len(idx) != len(want)) {
					rt.Fatalf("index left behind: %d entries, %v", len(idx), err)
				}
				// Active, the index may yet be complete if the machine
				// stalled for settleMargin; whenever it serves a listing,
				// that listing is right.
				got, used := servedByIndex(t, s)
				if settled && !used {
					rt.Fatal("a settled store's listing was not served by its index")
				}
				if used {
					sameInfos(rt, got, want)
				}
			})
		})
	}
}

// removePacks removes every pack file of s.
func removePacks(t testing.TB, s *Store) {
	t.Helper()
	ps, _ := filepath.Glob(filepath.Join(s.Dir(), packsDir, "*.pack"))
	for _, p := range ps {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFindInfo: the guessed search finds every entry and nothing else,
// whatever the distribution of the hashes (a crafted index need not hold
// uniform ones).
func TestFindInfo(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(0, 300).Draw(rt, "n")
		skew := rapid.Bool().Draw(rt, "skewed")
		seen := map[record.Hash]bool{}
		var infos []SnapInfo
		for i := 0; i < n; i++ {
			var h record.Hash
			copy(h[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(rt, "hash"))
			if skew {
				h[0], h[1] = 0xff, 0xff
			}
			if !seen[h] {
				seen[h] = true
				infos = append(infos, SnapInfo{Hash: h})
			}
		}
		infos = sortedInfos(infos)
		for i := range infos {
			if j := IndexOf(infos, infos[i].Hash); j != i {
				rt.Fatalf("entry %d found at %d", i, j)
			}
		}
		var h record.Hash
		copy(h[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(rt, "absent"))
		if j := IndexOf(infos, h); !seen[h] && j != -1 {
			rt.Fatalf("absent hash found at %d", j)
		}
	})
}

// TestListLoose: the listing is every object name, sorted, and nothing
// else, whether the list is sorted by counting (long) or by comparison.
func TestListLoose(t *testing.T) {
	for _, n := range []int{0, 5, 3000} {
		s := newStore(t)
		dir := s.kindDir(record.KindState)
		var want []record.Hash
		for i := 0; i < n; i++ {
			h := record.Sum([]byte{byte(i), byte(i >> 8)})
			want = append(want, h)
			if err := os.WriteFile(filepath.Join(dir, h.String()), nil, 0o444); err != nil {
				t.Fatal(err)
			}
		}
		for _, junk := range []string{"x", "ABCDEF" + want0(), want0()[:63], want0() + "0", want0() + ".tmp"} {
			os.WriteFile(filepath.Join(dir, junk), nil, 0o444)
		}
		got, err := s.List(record.KindState)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(want, compareHash)
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: listed %d, want %d", n, len(got), len(want))
		}
	}
}

func want0() string { return record.Sum([]byte("junk")).String() }

// FuzzSnapIndex: any bytes decode to a valid index or ErrBadIndex, never
// a crash, and memory stays within the input's size; a valid index
// re-encodes to the same bytes.
func FuzzSnapIndex(f *testing.F) {
	good, _ := encodeSnapIndex(vectorInfos(), vectorStamps, true)
	f.Add(good)
	f.Add(good[:96])
	empty, _ := EncodeSnapIndex(nil)
	f.Add(empty)
	f.Fuzz(func(t *testing.T, b []byte) {
		infos, err := DecodeSnapIndex(b)
		if err != nil {
			if !errors.Is(err, ErrBadIndex) {
				t.Fatalf("error %v does not wrap ErrBadIndex", err)
			}
			return
		}
		if len(infos) > len(b)/snapIndexEntry {
			t.Fatalf("%d entries from %d bytes", len(infos), len(b))
		}
		x, err := ParseSnapIndex(b)
		if err != nil || x.Len() != len(infos) {
			t.Fatalf("ParseSnapIndex: %v, %d entries where DecodeSnapIndex gives %d", err, x.Len(), len(infos))
		}
		for i := range infos {
			if in := x.Info(i); !in.Equal(&infos[i]) {
				t.Fatalf("entry %d: Info %+v, decoded %+v", i, in, infos[i])
			}
		}
		again, err := EncodeSnapIndex(slices.Clone(infos))
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeSnapIndex(again)
		if err != nil {
			t.Fatal(err)
		}
		sameInfos(t, back, infos)
	})
}

// TestMapFileShrinks: a mapped index truncated by someone else while it
// is read makes a bad read (errMapFault), never a crash.
func TestMapFileShrinks(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, bytes.Repeat([]byte{1}, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	b, unmap, err := mapFile(p, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer unmap()
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	var sum int
	err = readMapped(func() error {
		for _, c := range b {
			sum += int(c)
		}
		return nil
	})
	if !errors.Is(err, errMapFault) {
		t.Fatalf("reading a truncated mapping: %v (sum %d), want errMapFault", err, sum)
	}
}
