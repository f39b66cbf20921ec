package store

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/wepipe/wepipe/pkg/record"
)

// FuzzDecompress checks the read path's frame handling (walkFrame,
// decompress) against the zstd decoder: it never panics, never allocates
// far beyond the content it returns, accepts exactly one frame with nothing
// after it, and whatever it accepts the decoder decodes to the same bytes.
func FuzzDecompress(f *testing.F) {
	f.Add(Compress([]byte("a small state")))
	f.Add(Compress(bytes.Repeat([]byte("walkers "), 5000)))
	f.Add(encoder().EncodeAll(bytes.Repeat([]byte{1, 2, 3}, 30000), nil))
	f.Add(appendRawFrame(nil, bytes.Repeat([]byte{7}, 300)))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x03, 0x00, 0x00})
	f.Add(append(Compress([]byte("trailing")), 0))
	f.Add(append(Compress([]byte("two")), Compress([]byte("frames"))...))
	f.Add(append(Compress([]byte("payload")), skippable(16)...))
	f.Add(skippable(4))
	bomb, _ := bomb(f, 64)
	f.Add(bomb)
	old := MaxObjectSize
	d, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(1<<22))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, z []byte) {
		MaxObjectSize = 1 << 22
		defer func() { MaxObjectSize = old }()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		out, err := Decompress(z)
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > 3*uint64(len(out))+uint64(16*len(z))+16<<20 {
			t.Fatalf("decompressing %d bytes into %d allocated %d", len(z), len(out), got)
		}
		if err != nil {
			return
		}
		want, derr := d.DecodeAll(z, nil)
		if derr != nil {
			t.Fatalf("Decompress accepted a frame the decoder refuses (%v)", derr)
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("Decompress gave %d bytes, the decoder %d", len(out), len(want))
		}
		var hdr zstd.Header
		if err := hdr.Decode(z); err != nil || hdr.Skippable {
			t.Fatalf("accepted something that is not a frame: %+v, %v", hdr, err)
		}
		// Exactly one frame: any byte more is refused.
		if _, err := Decompress(append(z[:len(z):len(z)], 0)); err == nil {
			t.Fatal("a trailing byte was accepted")
		}
	})
}

// FuzzStoreRead plants the fuzzer's bytes as an object file and reads it
// through every reader (GetKind, LoadAs, Verify, Check, a union into
// another store): nothing panics or blocks; every reader agrees with
// verifyDecode, the one check of the read path; and what a reader
// accepts decodes as a record of its directory's kind whose hash is its
// name.
func FuzzStoreRead(f *testing.F) {
	r := stream("fuzz-read", 0)
	st := makeState(r, 2)
	it, _ := NewItem(st)
	f.Add(Compress(it.Data), false)
	f.Add(Compress(it.Data), true)
	sys, _ := NewItem(makeSystem(2, it.Hash))
	f.Add(Compress(sys.Data), false)
	f.Add(append(Compress(it.Data), 0), false)
	f.Add([]byte("garbage"), false)
	src, dst := newStore(f), newStore(f)
	// Durability is not what is fuzzed: without fsyncs an execution takes
	// a fraction of a millisecond instead of tens.
	fsyncOff = true
	f.Cleanup(func() { fsyncOff = false })
	f.Fuzz(func(t *testing.T, z []byte, underOwnName bool) {
		var h record.Hash
		if underOwnName {
			// Named by the hash of its content, as a sound object would
			// be, so that decoding is reached.
			if c, err := decompress(z, false); err == nil {
				h = record.Sum(c.data)
				c.release()
			}
		} else {
			copy(h[:], z)
		}
		p := src.Path(record.KindState, h)
		os.Remove(p)
		if err := os.WriteFile(p, z, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		defer os.Remove(dst.Path(record.KindState, h))
		data, gerr := src.GetKind(record.KindState, h)
		_, lerr := LoadAs[*record.State](src, h)
		verr := src.Verify(record.KindState, h)
		if (gerr == nil) != (lerr == nil) || (lerr == nil) != (verr == nil) {
			t.Fatalf("readers disagree: GetKind %v, LoadAs %v, Verify %v", gerr, lerr, verr)
		}
		var ce *CorruptError
		if gerr != nil && !errors.As(gerr, &ce) {
			t.Fatalf("a present file refused without a *CorruptError: %v", gerr)
		}
		if gerr == nil {
			if record.Sum(data) != h {
				t.Fatal("accepted content that does not hash to its name")
			}
			if o, err := record.Decode(data); err != nil || o.ObjectKind() != record.KindState {
				t.Fatalf("accepted content that is not a state: %v", err)
			}
		}
		rep, err := src.Check(CheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if (len(rep.Problems) == 0) != (gerr == nil) {
			t.Fatalf("Check's problems %v disagree with the readers (%v)", rep.Problems, gerr)
		}
		urep, err := dst.Union(src)
		if err != nil {
			t.Fatal(err)
		}
		if (urep.Copied == 1) != (gerr == nil) {
			t.Fatalf("union copied %d, the readers say %v", urep.Copied, gerr)
		}
	})
}

// FuzzMemo writes the fuzzer's bytes as a memo entry: Memo and
// VerifiedMemo never panic, and a hit is exactly what PutMemo writes for
// objects in the store.
func FuzzMemo(f *testing.F) {
	s := newStore(f)
	h := mustPut(f, s, makeState(stream("fuzz-memo", 0), 2))
	f.Add([]byte(h.String() + "\n"))
	f.Add([]byte(h.String() + " " + h.String() + "\n"))
	f.Add([]byte("\n"))
	f.Add([]byte(h.String()))
	key := MemoKey("fuzz")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := s.WriteMemo(key, b); err != nil {
			t.Fatal(err)
		}
		hs, ok := s.Memo(key)
		if ok {
			var want []byte
			for i, x := range hs {
				if i > 0 {
					want = append(want, ' ')
				}
				want = append(want, x.String()...)
			}
			if want = append(want, '\n'); !bytes.Equal(want, b) {
				t.Fatalf("hit %v on %q", hs, b)
			}
		}
		if v, ok := s.VerifiedMemo(key, record.KindState, nil); ok && (v != h || string(b) != h.String()+"\n") {
			t.Fatalf("VerifiedMemo hit %s on %q", v.Short(), b)
		}
	})
}
