package store

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/wepipe/wepipe/pkg/record"
)

// badFile is one damaged or hostile object file.
type badFile struct {
	name string
	kind record.Kind
	hash record.Hash
	path string
	// parts are what the error must say beyond the file's path.
	parts []string
	// is, if set, must be in the error's chain.
	is error
}

// plantBad writes one file of every kind of damage into s.
func plantBad(t *testing.T, s *Store) []badFile {
	r := stream("bad", 0)
	var out []badFile
	add := func(name string, k record.Kind, h record.Hash, p string, is error, parts ...string) {
		out = append(out, badFile{name, k, h, p, parts, is})
	}

	// Bytes that do not hash to the name: a valid state under another
	// state's name.
	good, _ := NewItem(makeState(r, 2))
	other, _ := NewItem(makeState(r, 2))
	add("hash mismatch", record.KindState, other.Hash, plant(t, s, record.KindState, other.Hash, Compress(good.Data)), ErrHashMismatch, "does not hash")

	// The same for objects of parallelMin bytes or more, which are hashed
	// while they decode (verifyDecode): 6000 atoms, 288 kB of CBOR.
	bigGood, _ := NewItem(makeState(r, 6000))
	bigOther, _ := NewItem(makeState(r, 6000))
	if len(bigGood.Data) < parallelMin {
		t.Fatalf("large state of %d bytes, want ≥ %d", len(bigGood.Data), parallelMin)
	}
	add("hash mismatch, large", record.KindState, bigOther.Hash, plant(t, s, record.KindState, bigOther.Hash, Compress(bigGood.Data)), ErrHashMismatch, "does not hash")

	// A truncated file, cut in the middle of its frame.
	tr, _ := NewItem(makeState(r, 20))
	z := Compress(tr.Data)
	add("truncated", record.KindState, tr.Hash, plant(t, s, record.KindState, tr.Hash, z[:len(z)/2]), nil, "zstd")
	// Truncated in the frame header, and to nothing.
	hd, _ := NewItem(makeState(r, 2))
	add("truncated header", record.KindState, hd.Hash, plant(t, s, record.KindState, hd.Hash, Compress(hd.Data)[:3]), nil, "not a zstd frame")
	em, _ := NewItem(makeState(r, 2))
	add("empty file", record.KindState, em.Hash, plant(t, s, record.KindState, em.Hash, nil), nil, "not a zstd frame")

	// Bytes that are not zstd: the raw CBOR.
	nz, _ := NewItem(makeState(r, 2))
	add("not zstd", record.KindState, nz.Hash, plant(t, s, record.KindState, nz.Hash, nz.Data), nil, "not a zstd frame")

	// zstd of bytes that are not CBOR, named by their hash.
	h, p := plantData(t, s, record.KindState, []byte("\xff\xfe not CBOR at all"))
	add("not CBOR", record.KindState, h, p, nil, "not a wepipe record")

	// A record of an unknown kind, named by its hash.
	h, p = plantData(t, s, record.KindState, encodeMap(t, map[string]any{"kind": "widget", "v": 1}))
	add("unknown kind", record.KindState, h, p, nil, `unknown object kind "widget"`)

	// A record of a newer format version.
	newer := encodeMap(t, map[string]any{"kind": "state", "v": 2, "hologram": true})
	h, p = plantData(t, s, record.KindState, newer)
	add("newer version", record.KindState, h, p, record.ErrVersion, "version 2", "upgrade")

	// Canonical-looking but invalid: a state missing its arrays.
	h, p = plantData(t, s, record.KindState, encodeMap(t, map[string]any{"kind": "state", "v": 1}))
	add("invalid record", record.KindState, h, p, nil, "state")

	// A valid state in the snapshot directory.
	wk, _ := NewItem(makeState(r, 2))
	p = plant(t, s, record.KindSnapshot, wk.Hash, Compress(wk.Data))
	add("wrong kind directory", record.KindSnapshot, wk.Hash, p, nil, "a state record in the snapshot directory")
	return out
}

// TestBadInput reads every damaged file through every reader: each must
// fail with an error naming the file, and nothing may panic.
func TestBadInput(t *testing.T) {
	s := newStore(t)
	bad := plantBad(t, s)
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				wantCorrupt(t, err, b.path, b.parts...)
				if b.is != nil && !errors.Is(err, b.is) {
					t.Errorf("%s: error %v is not %v", what, err, b.is)
				}
			}
			// Every reader verifies the whole object, GetKind (we-cat's)
			// too: a record in another kind's directory is corrupt.
			_, err := s.GetKind(b.kind, b.hash)
			check("GetKind", err)
			_, _, err = s.Get(b.hash)
			check("Get", err)
			_, err = s.Load(b.hash)
			check("Load", err)
			switch b.kind {
			case record.KindState:
				_, err = LoadAs[*record.State](s, b.hash)
			case record.KindSnapshot:
				_, err = LoadAs[*record.Snapshot](s, b.hash)
			}
			check("LoadAs", err)
		})
	}
	// Check finds every one, naming the file.
	rep, err := s.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, p := range rep.Problems {
		found[p.Path] = p.What
	}
	for _, b := range bad {
		what, ok := found[b.path]
		if !ok {
			t.Errorf("Check missed %s (%s)", b.name, b.path)
			continue
		}
		for _, part := range b.parts {
			if !strings.Contains(what, part) {
				t.Errorf("Check on %s says %q, not %q", b.name, what, part)
			}
		}
	}
	if len(rep.Problems) != len(bad) {
		t.Errorf("Check found %d problems for %d bad files: %v", len(rep.Problems), len(bad), rep.Problems)
	}
}

// zeroFrame returns a zstd frame of n zero bytes; with declare false the
// frame carries no content size (as a streaming writer makes it).
func zeroFrame(t *testing.T, n int, declare bool) []byte {
	data := make([]byte, n)
	if declare {
		return Compress(data)
	}
	var buf bytes.Buffer
	// A window within the limit, so that the size limit, not the
	// window limit, is what refuses it.
	w, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	var hdr zstd.Header
	if err := hdr.Decode(buf.Bytes()); err != nil || hdr.HasFCS {
		t.Fatalf("frame declares its size (%v): the test needs one that does not", err)
	}
	return buf.Bytes()
}

// TestZstdBomb checks that frames expanding past MaxObjectSize are refused
// without allocating what they expand to, with or without a declared size,
// and also when several frames each under the limit exceed it together.
func TestZstdBomb(t *testing.T) {
	old := MaxObjectSize
	MaxObjectSize = 1 << 20
	defer func() { MaxObjectSize = old }()
	s := newStore(t)
	const expand = 256 << 20 // 256 MiB of zeros: about 8 KiB compressed
	for _, c := range []struct {
		name string
		z    []byte
		msg  string
	}{
		{"declared", zeroFrame(t, expand, true), "declares"},
		{"undeclared", zeroFrame(t, expand, false), "exceeds the limit"},
		{"undeclared just over", zeroFrame(t, 1<<20+1, false), "exceeds the limit"},
		{"concatenated", append(zeroFrame(t, 700<<10, true), zeroFrame(t, 700<<10, true)...), "after the zstd frame"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h record.Hash
			copy(h[:], c.name)
			p := plant(t, s, record.KindState, h, c.z)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := s.GetKind(record.KindState, h)
			runtime.ReadMemStats(&after)
			wantCorrupt(t, err, p, c.msg)
			// Bound: the 1 MiB limit, the decoder's window and block
			// buffers (each at most the limit) and slack for append
			// doubling; far below the 256 MiB the frame expands to.
			t.Logf("allocated %d KiB", (after.TotalAlloc-before.TotalAlloc)>>10)
			if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
				t.Errorf("reading the bomb allocated %d MiB", d>>20)
			}
			if _, err := s.Load(h); err == nil {
				t.Error("Load accepted a bomb")
			}
		})
	}
	// Just under the limit is fine.
	data := make([]byte, 1<<20)
	if _, err := Decompress(zeroFrame(t, len(data), false)); err != nil {
		t.Errorf("frame of exactly the limit: %v", err)
	}
	// A file larger than the limit is refused before it is read.
	var h record.Hash
	h[0] = 0xbb
	p := plant(t, s, record.KindState, h, make([]byte, MaxObjectSize+1))
	_, err := s.GetKind(record.KindState, h)
	wantCorrupt(t, err, p, "exceeds the object size limit")
	rep, err := s.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 5 {
		t.Errorf("Check found %d problems, want 5: %v", len(rep.Problems), rep.Problems)
	}
}

// TestPutRaw checks the verification of compressed bytes received from
// elsewhere.
func TestPutRaw(t *testing.T) {
	s := newStore(t)
	r := stream("raw", 0)
	it, _ := NewItem(makeState(r, 2))
	other, _ := NewItem(makeState(r, 2))
	z := Compress(it.Data)
	for _, c := range []struct {
		name string
		k    record.Kind
		h    record.Hash
		z    []byte
		msg  string
	}{
		{"not zstd", record.KindState, it.Hash, it.Data, "not a zstd frame"},
		{"hash mismatch", record.KindState, other.Hash, z, "does not hash"},
		{"wrong kind", record.KindSegment, it.Hash, z, "a state record where a segment was expected"},
	} {
		err := s.PutRaw(c.k, c.h, c.z)
		wantErr(t, err, c.h.Short(), c.msg)
		if s.Has(c.k, c.h) {
			t.Errorf("%s: written", c.name)
		}
	}
	if err := s.PutRaw(record.KindState, it.Hash, z); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadFile(record.KindState, it.Hash)
	if err != nil || !bytes.Equal(got, z) {
		t.Errorf("PutRaw did not write the bytes as given: %v", err)
	}
	checkClean(t, s)
	if _, err := os.Stat(s.Path(record.KindSegment, it.Hash)); err == nil {
		t.Error("a refused object exists")
	}
}
