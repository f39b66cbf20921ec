package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/pkg/record"
)

// assemblePack builds a pack file from frames and the entries that point
// into them (frame i of entry e is e.frameOff, an index into frames),
// bypassing every check of the writer, as a damaged or hostile file may
// be.
func assemblePack(frames [][]byte, ents []packEntry) []byte {
	b := []byte(packMagic)
	offs := make([]uint64, len(frames))
	for i, f := range frames {
		offs[i] = uint64(len(b))
		b = append(b, f...)
	}
	ixOff := uint64(len(b))
	var ix []byte
	for _, e := range ents {
		fi := e.frameOff
		e.frameOff, e.frameLen = offs[fi], uint32(len(frames[fi]))
		ix = appendPackEntry(ix, e)
	}
	b = append(b, ix...)
	b = binary.LittleEndian.AppendUint64(b, ixOff)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(ents)))
	sum := sha256.Sum256(ix)
	b = append(b, sum[:]...)
	return append(b, packMagic...)
}

// installPack puts pack bytes b into store s under their hash.
func installPack(t testing.TB, s *Store, b []byte) string {
	t.Helper()
	dir := filepath.Join(s.Dir(), packsDir)
	os.MkdirAll(dir, 0o755)
	p := filepath.Join(dir, fmt.Sprintf("%x%s", sha256.Sum256(b), packSuffix))
	if err := os.WriteFile(p, b, 0o444); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPackHostileFrames: frames that claim more than they may, hold less
// than their entries say, or are not one frame are refused when an object
// in them is read, naming the pack and the object, without allocating
// what they claim; the pack's other frames still read.
func TestPackHostileFrames(t *testing.T) {
	good, _, _ := record.Encode(makeState(stream("hostile-frames", 0), 2))
	goodH := record.Sum(good)
	h := record.Sum([]byte("victim"))
	bombZ, _ := bomb(t, 512)            // 32 MiB of zeros, over the 16 MiB limit set below
	declares := func(n uint64) []byte { // a raw frame that declares n bytes and holds 8
		b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0xe0}
		b = binary.LittleEndian.AppendUint64(b, n)
		return append(b, 0x41, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8)
	}
	cases := []struct {
		name  string
		frame []byte
		off   uint32
		n     uint32
		want  string
	}{
		{"declares 2 GiB", declares(2 << 30), 0, 8, "over the limit"},
		{"declares more than its blocks", declares(1 << 20), 0, 8, "its blocks hold"},
		{"bomb without a declared size", bombZ, 0, 8, "no declared content size"},
		{"entry beyond the content", appendRawFrame(nil, []byte("short")), 2, 100, "beyond its frame"},
		{"two frames", append(appendRawFrame(nil, []byte("a")), appendRawFrame(nil, []byte("b"))...), 0, 1, "after the zstd frame"},
		{"not a frame", []byte("garbage garbage"), 0, 1, "not a zstd frame"},
		{"hash mismatch", appendRawFrame(nil, []byte("victim!")), 0, 7, "does not hash"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := MaxObjectSize
			MaxObjectSize = 1 << 24
			defer func() { MaxObjectSize = old }()
			s := newStore(t)
			ents := []packEntry{{hash: h, code: packCode(record.KindState), frameOff: 0, off: c.off, n: c.n}, {hash: goodH, code: packCode(record.KindState), frameOff: 1, n: uint32(len(good))}}
			if bytes.Compare(goodH[:], h[:]) < 0 {
				ents[0], ents[1] = ents[1], ents[0]
			}
			p := installPack(t, s, assemblePack([][]byte{c.frame, appendRawFrame(nil, good)}, ents))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := s.GetKind(record.KindState, h)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), h.String()) {
				t.Errorf("read: %v; want %q naming the pack and the object", err, c.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
				t.Errorf("the read allocated %d bytes", got)
			}
			if b, err := s.GetKind(record.KindState, goodH); err != nil || !bytes.Equal(b, good) {
				t.Errorf("the sound object of the pack: %v", err)
			}
			rep, err := s.Check(CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, pr := range rep.Problems {
				found = found || strings.Contains(pr.Path, h.String())
			}
			if !found {
				t.Errorf("check does not name the object: %v", rep.Problems)
			}
		})
	}
}

// TestPackParse: the index checks, one damage each, refuse the pack whole
// with a message that says what is wrong.
func TestPackParse(t *testing.T) {
	fr := appendRawFrame(nil, []byte("0123456789"))
	a, b := record.Sum([]byte("a")), record.Sum([]byte("b"))
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	ok := []packEntry{{hash: a, code: 3, n: 5}, {hash: b, code: 3, off: 5, n: 5}}
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"unsorted", assemblePack([][]byte{fr}, []packEntry{ok[1], ok[0]}), "out of order"},
		{"duplicate", assemblePack([][]byte{fr}, []packEntry{ok[0], ok[0]}), "out of order"},
		{"kind code", assemblePack([][]byte{fr}, []packEntry{{hash: a, code: 9, n: 5}}), "unknown kind code 9"},
		{"empty object", assemblePack([][]byte{fr}, []packEntry{{hash: a, code: 3}}), "over the object size limit"},
		{"version 2", append([]byte("wepack\x00\x02"), assemblePack([][]byte{fr}, ok)[8:]...), "version 2 is not supported"},
		{"not a pack", bytes.Repeat([]byte("x"), 100), "not a pack file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parsePack(bytes.NewReader(c.b), int64(len(c.b)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	good := assemblePack([][]byte{fr}, ok)
	if _, err := parsePack(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatal(err)
	}
	// Reserved bytes: set one, and the index checksum with it.
	bad := append([]byte(nil), good...)
	ixOff := binary.LittleEndian.Uint64(bad[len(bad)-packTrailerSize:])
	bad[ixOff+34] = 1
	sum := sha256.Sum256(bad[ixOff : len(bad)-packTrailerSize])
	copy(bad[len(bad)-40:], sum[:])
	if _, err := parsePack(bytes.NewReader(bad), int64(len(bad))); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("reserved bytes: %v", err)
	}
}

// TestPackProperty: any set of objects, packed in frames of any size, in
// one pack or several, repacked or not, reads back byte for byte, lists
// as it did loose, and checks clean.
func TestPackProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		s := newStore(t)
		n := rapid.IntRange(1, 30).Draw(rt, "objects")
		seed := rapid.Uint64().Draw(rt, "seed")
		r := stream("pack-property", seed)
		var all []record.Hash
		want := map[record.Hash][]byte{}
		rounds := rapid.IntRange(1, 3).Draw(rt, "rounds")
		for round := 0; round < rounds; round++ {
			for i := 0; i < n; i++ {
				atoms := rapid.IntRange(1, 300).Draw(rt, "atoms")
				it, err := NewItem(makeState(r, atoms))
				if err != nil {
					rt.Fatal(err)
				}
				if err := s.PutItems([]Item{it}); err != nil {
					rt.Fatal(err)
				}
				all = append(all, it.Hash)
				want[it.Hash] = it.Data
			}
			opt := PackOptions{FrameSize: rapid.IntRange(1, 1<<14).Draw(rt, "frame"), All: rapid.Bool().Draw(rt, "all")}
			if _, err := s.Pack(opt); err != nil {
				rt.Fatal(err)
			}
		}
		s2, _ := Open(s.Dir())
		for _, h := range all {
			b, err := s2.GetKind(record.KindState, h)
			if err != nil || !bytes.Equal(b, want[h]) {
				rt.Fatalf("state %s: %v", h.Short(), err)
			}
		}
		hs, err := s2.List(record.KindState)
		if err != nil || len(hs) != len(want) {
			rt.Fatalf("List: %d states, %v; want %d", len(hs), err, len(want))
		}
		rep, err := s2.Check(CheckOptions{})
		if err != nil || len(rep.Problems) > 0 || rep.Objects[record.KindState] != len(want) {
			rt.Fatalf("check: %+v %v", rep, err)
		}
	})
}
