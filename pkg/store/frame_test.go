package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/wepipe/wepipe/internal/hostile"
	"github.com/wepipe/wepipe/pkg/record"
)

// skippable is a zstd skippable frame (RFC 8878 §3.1.2) of n bytes.
func skippable(n int) []byte {
	b := []byte{0x50, 0x2a, 0x4d, 0x18}
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	return append(b, make([]byte, n)...)
}

// TestStrictFrames: an object file is exactly one zstd frame. Data after
// it (a byte, a second frame, a skippable frame with a payload hidden in
// it), a skippable frame instead of it or before it, and frames cut short
// are refused by every reader, by Check, by PutRaw and by a union, which
// copies none of them (it used to copy the hidden payload along).
func TestStrictFrames(t *testing.T) {
	src := newStore(t)
	r := stream("strict", 0)
	type bad struct {
		name, msg string
		h         record.Hash
	}
	var cases []bad
	for _, c := range []struct {
		name, msg string
		frame     func(data []byte) []byte
	}{
		{"a trailing byte", "1 bytes after the zstd frame", func(d []byte) []byte { return append(Compress(d), 0) }},
		{"a second frame", "after the zstd frame", func(d []byte) []byte { return append(Compress(d), Compress(nil)...) }},
		{"a hidden payload", "2097160 bytes after the zstd frame", func(d []byte) []byte { return append(Compress(d), skippable(2<<20)...) }},
		{"a skippable frame first", "a skippable frame", func(d []byte) []byte { return append(skippable(8), Compress(d)...) }},
		{"a compressed frame and a payload", "after the zstd frame", func(d []byte) []byte {
			return append(encoder().EncodeAll(d, nil), skippable(100)...)
		}},
		{"checksum cut short", "checksum is missing", func(d []byte) []byte {
			z := encoder().EncodeAll(d, nil)
			return z[:len(z)-2]
		}},
		{"last block cut short", "a block is cut short", func(d []byte) []byte {
			z := Compress(d)
			return z[:len(z)-1]
		}},
		{"reserved block type", "reserved block type", func(d []byte) []byte {
			z := Compress(d)
			z[13] |= 6 // the first block header's type bits: 3
			return z
		}},
	} {
		it, _ := NewItem(makeState(r, 2))
		plant(t, src, record.KindState, it.Hash, c.frame(it.Data))
		cases = append(cases, bad{c.name, c.msg, it.Hash})
	}
	rep, err := src.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, p := range rep.Problems {
		found[p.Path] = p.What
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := src.Path(record.KindState, c.h)
			_, err := src.GetKind(record.KindState, c.h)
			wantCorrupt(t, err, p, c.msg)
			_, err = src.Load(c.h)
			wantCorrupt(t, err, p, c.msg)
			if !strings.Contains(found[p], c.msg) {
				t.Errorf("Check says %q, want %q", found[p], c.msg)
			}
			z, err := src.ReadFile(record.KindState, c.h)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decompress(z); err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("Decompress: %v", err)
			}
			dst := newStore(t)
			wantErr(t, dst.PutRaw(record.KindState, c.h, z), c.msg)
			if dst.Has(record.KindState, c.h) {
				t.Error("PutRaw wrote it")
			}
		})
	}
	dst := newStore(t)
	urep, err := dst.Union(src)
	if err != nil {
		t.Fatal(err)
	}
	if urep.Copied != 0 || urep.Bytes != 0 || len(urep.Problems) != len(cases) {
		t.Errorf("union copied %d objects (%d bytes) with problems %v", urep.Copied, urep.Bytes, urep.Problems)
	}
}

// bomb returns a zstd frame without a declared content size that
// decompresses to blocks × 64 KiB of zeros, in about 13 bytes per 64 KiB:
// the frame of a streaming encoder (which cannot declare the size) with
// its repeated block copied. It also returns the content size.
func bomb(t testing.TB, blocks int) ([]byte, int64) {
	t.Helper()
	out, err := hostile.ZeroBomb(blocks)
	if err != nil {
		t.Fatal(err)
	}
	// The decoder agrees on the size.
	d, err := zstd.NewReader(bytes.NewReader(out), zstd.WithDecoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if blocks <= 64 {
		n, err := io.Copy(io.Discard, d)
		if err != nil || n != int64(blocks)<<16 {
			t.Fatalf("the bomb decodes to %d bytes (%v), want %d", n, err, blocks<<16)
		}
	}
	return out, int64(blocks) << 16
}

// TestBombWithoutSize: a frame that declares no content size and
// decompresses to 4 GiB (a 0.8 MB file) is refused at the real limit of
// 1 GiB with the memory of its window only — never the gigabyte it could
// fill — under a memory limit; so is a frame of RLE blocks (refused from
// its block headers alone), and one whose declared size is a lie.
func TestBombWithoutSize(t *testing.T) {
	if MaxObjectSize != 1<<30 {
		t.Fatalf("MaxObjectSize is %d", MaxObjectSize)
	}
	z, size := bomb(t, 1<<16)
	// RLE blocks of 128 KiB, no size declared: 4 GiB in 128 KiB.
	rle := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58} // no FCS, window 8 MiB
	for i := range 1 << 15 {
		h := uint32(maxBlock)<<3 | 1<<1
		if i == 1<<15-1 {
			h |= 1
		}
		rle = append(rle, byte(h), byte(h>>8), byte(h>>16), 0)
	}
	// A frame that declares 100 000 bytes and holds the bomb's blocks.
	liar := append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0xa0, 0x86, 0x01, 0x00}, z[6:]...)
	s := newStore(t)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(128 << 20))
	for _, c := range []struct {
		name, msg string
		z         []byte
	}{
		{"compressed blocks, 4 GiB", "decompressed size exceeds the limit of 1073741824 bytes", z},
		{"RLE blocks, 4 GiB", "decompressed size exceeds the limit", rle},
		{"declares 100 000 bytes", "holds more than the 100000 bytes it declares", liar},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h record.Hash
			copy(h[:], c.name)
			p := plant(t, s, record.KindState, h, c.z)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := s.GetKind(record.KindState, h)
			runtime.ReadMemStats(&after)
			wantCorrupt(t, err, p, c.msg)
			got := after.TotalAlloc - before.TotalAlloc
			t.Logf("a %d-byte frame of %d GiB: refused in %v, %d KiB allocated", len(c.z), size>>30, time.Since(start).Round(time.Millisecond), got>>10)
			if got > 16<<20 {
				t.Errorf("reading the bomb allocated %d MiB", got>>20)
			}
		})
	}
	// The same frame of a size under the limit decodes, into a buffer of
	// its size (the frame's blocks hold 64 KiB each: their headers bound
	// the content by twice that).
	small, n := bomb(t, 64)
	out, err := Decompress(small)
	if err != nil || int64(len(out)) != n || cap(out) > len(out)+maxBlock+overAlloc {
		t.Fatalf("Decompress of %d bytes: %d bytes in a buffer of %d, %v", n, len(out), cap(out), err)
	}
}

// TestReadMemoryBounded: parallel readers (Check's and Union's workers)
// hold at most readMemory of file bytes and of content at once, whatever
// their number, and finish (the two budgets cannot deadlock).
func TestReadMemoryBounded(t *testing.T) {
	old := readMemory
	readMemory = 3 << 20
	defer func() { readMemory = old }()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	s := newStore(t)
	r := stream("budget", 0)
	for range 8 {
		mustPut(t, s, makeState(r, 20000)) // 960 KB of content, raw frames
	}
	for _, b := range []*budget{fileMem, contentMem} {
		b.mu.Lock()
		b.peak = b.used
		b.mu.Unlock()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			rep, err := s.Check(CheckOptions{})
			if err == nil && len(rep.Problems) > 0 {
				err = errors.New(rep.Problems[0].String())
			}
			errs <- err
		})
	}
	dst := newStore(t)
	wg.Go(func() {
		if _, err := dst.Union(s); err != nil {
			errs <- err
		}
	})
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("parallel readers did not finish")
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkClean(t, dst)
	for name, b := range map[string]*budget{"file bytes": fileMem, "content": contentMem} {
		t.Logf("%s: at most %d KiB held at once", name, b.peak>>10)
		if b.peak > readMemory {
			t.Errorf("%s: %d bytes held at once, over the budget of %d", name, b.peak, readMemory)
		}
		if b.peak < 2<<20 {
			t.Errorf("%s: at most %d bytes held at once: the readers did not run in parallel", name, b.peak)
		}
	}
}
