package store

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/wepipe/wepipe/pkg/record"
)

// benchAtoms is the size of the large-state benchmarks: a 100,000-atom
// state is 4.8 MB of CBOR (two [n, 3] float64 arrays).
const benchAtoms = 100000

// benchState is the large state with MD-like coordinates (makeState).
func benchState(b *testing.B) (*record.State, []byte) {
	st := makeState(stream("bench", 0), benchAtoms)
	data, _, err := record.Encode(st)
	if err != nil {
		b.Fatal(err)
	}
	return st, data
}

// BenchmarkRawZstdSHA256 is the practical limit of Put: compressing the
// CBOR with the store's encoder and hashing it, one after the other.
func BenchmarkRawZstdSHA256(b *testing.B) {
	_, data := benchState(b)
	buf := make([]byte, 0, compressBound(len(data)))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		buf = encoder().EncodeAll(data, buf[:0])
		sha256.Sum256(data)
	}
	b.ReportMetric(float64(len(buf))/float64(len(data)), "ratio")
}

// BenchmarkRawUnzstdSHA256 is the practical limit of Get: decompressing
// and hashing, one after the other.
func BenchmarkRawUnzstdSHA256(b *testing.B) {
	_, data := benchState(b)
	z := Compress(data)
	d, err := decoderFor(MaxObjectSize)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, len(data)+64)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		buf, err = d.DecodeAll(z, buf[:0])
		if err != nil {
			b.Fatal(err)
		}
		sha256.Sum256(buf)
	}
}

// BenchmarkPut writes a new 100,000-atom state per iteration: encoding,
// hashing, compression, the temp file, fsync, rename and the directory
// fsync. "nosync" leaves out both fsyncs. The files stay until the end (a
// few GB): on ext4, creating a file in a block group full of recently
// deleted inodes is slow (find_inode_bit skips inodes deleted in the last
// minutes), so removing each file would charge the benchmark for its own
// clean-up, a cost a store, which never deletes objects, does not have.
func BenchmarkPut(b *testing.B) {
	for _, sync := range []bool{true, false} {
		name := fmt.Sprintf("atoms=%d", benchAtoms)
		if !sync {
			name += "/nosync"
		}
		b.Run(name, func(b *testing.B) {
			fsyncOff = !sync
			defer func() { fsyncOff = false }()
			s := newStore(b)
			st, data := benchState(b)
			b.SetBytes(int64(len(data)))
			for i := 0; b.Loop(); i++ {
				st.Step = uint64(i)
				if _, err := s.Put(st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGet reads and verifies the large state (GetKind: verified CBOR
// bytes) and also decodes it (LoadAs).
func BenchmarkGet(b *testing.B) {
	s := newStore(b)
	st, data := benchState(b)
	h := mustPut(b, s, st)
	b.Run(fmt.Sprintf("atoms=%d", benchAtoms), func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := s.GetKind(record.KindState, h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("atoms=%d/decode", benchAtoms), func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := LoadAs[*record.State](s, h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoadSmall reads, verifies and decodes a 2-atom state, as
// we-step does 48 times per cycle: the per-object cost of the store's
// read path (open, fstat, read, close, zstd frame, SHA-256, strict decode
// and canonical re-encode) when the content is tiny.
func BenchmarkLoadSmall(b *testing.B) {
	s := newStore(b)
	h := mustPut(b, s, makeState(stream("bench-small", 0), 2))
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.GetKind(record.KindState, h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := LoadAs[*record.State](s, h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPutItems writes one cycle's results, n small states (2 atoms)
// in one batch, as we-step's committer does; every batch is new. Items are
// encoded untimed. The variants make the batch durable with one syncfs,
// with one fsync per file, or not at all; "files" is the file system's own
// cost of the same work without the store (create, write, close and rename
// n files of the same size, no sync), the practical limit of "nosync".
// All variants share one store directory: on ext4 the cost of creating a
// file depends on its block group (inode allocation skips inodes deleted
// in the last minutes), so only variants run side by side compare.
func BenchmarkPutItems(b *testing.B) {
	const n = 48
	s := newStore(b)
	r := stream("bench-items", 0)
	batch := 0
	newItems := func(b *testing.B) []Item {
		items := make([]Item, n)
		for j := range items {
			st := makeState(r, 2)
			st.Step = uint64(batch*n + j)
			it, err := NewItem(st)
			if err != nil {
				b.Fatal(err)
			}
			items[j] = it
		}
		batch++
		return items
	}
	b.Run(fmt.Sprintf("n=%d/files", n), func(b *testing.B) {
		tmp := filepath.Join(s.Dir(), tmpDir)
		dst := b.TempDir()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			items := newItems(b)
			b.StartTimer()
			for j, it := range items {
				z := Compress(it.Data)
				p, err := writeTemp(tmp, "raw", z, false)
				if err != nil {
					b.Fatal(err)
				}
				if err := os.Rename(p, filepath.Join(dst, fmt.Sprintf("%d-%d", i, j))); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/batch")
	})
	for _, mode := range []string{"nosync", "syncfs", "fsync"} {
		b.Run(fmt.Sprintf("n=%d/%s", n, mode), func(b *testing.B) {
			oldOK := syncfsOK
			syncfsOK = oldOK && mode == "syncfs"
			fsyncOff = mode == "nosync"
			defer func() { syncfsOK, fsyncOff = oldOK, false }()
			if mode == "syncfs" && !syncfsOK {
				b.Fatal("syncfs(2) is not usable here")
			}
			for b.Loop() {
				b.StopTimer()
				items := newItems(b)
				b.StartTimer()
				if err := s.PutItems(items); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/batch")
		})
	}
}
