package store

import (
	"testing"

	"github.com/wepipe/wepipe/pkg/record"
)

// BenchmarkReadState reads (LoadAs: read, decompress, hash, decode) the
// states of a 48-walker lj-pair-sized run, loose and packed: "packed"
// reads them in turn, so most reads find their frame in the cache;
// "packed-cold" empties the cache before every read, so each one reads
// and decompresses its frame (1 MiB of content) from the file.
func BenchmarkReadState(b *testing.B) {
	const n = 48 * 100
	for _, mode := range []string{"loose", "packed", "packed-cold"} {
		b.Run(mode, func(b *testing.B) {
			s := newStore(b)
			r := stream("bench-pack", 0)
			hs := make([]record.Hash, n)
			items := make([]Item, n)
			for i := range hs {
				it, err := NewItem(makeState(r, 2))
				if err != nil {
					b.Fatal(err)
				}
				items[i], hs[i] = it, it.Hash
			}
			if err := s.PutItems(items); err != nil {
				b.Fatal(err)
			}
			if mode != "loose" {
				if _, err := s.Pack(PackOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			s, _ = Open(s.Dir())
			i := 0
			for b.Loop() {
				if mode == "packed-cold" {
					dropAllFrames()
				}
				if _, err := LoadAs[*record.State](s, hs[i%n]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// dropAllFrames empties the frame cache.
func dropAllFrames() {
	c := frameCache
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.items)
	c.order.Init()
	c.used = 0
}

// BenchmarkPackedFirstRead is what a short-lived stage pays on a packed
// store before its first packed object: the pack's index read and
// checked (56 bytes an object, hashed) and one frame read and
// decompressed. The store holds 48 × 200 small states in one pack.
func BenchmarkPackedFirstRead(b *testing.B) {
	const n = 48 * 200
	s := newStore(b)
	r := stream("bench-first", 0)
	items := make([]Item, n)
	for i := range items {
		it, err := NewItem(makeState(r, 2))
		if err != nil {
			b.Fatal(err)
		}
		items[i] = it
	}
	if err := s.PutItems(items); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pack(PackOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			s2, _ := Open(s.Dir())
			s2.packs()
		}
	})
	b.Run("index+read", func(b *testing.B) {
		i := 0
		for b.Loop() {
			dropAllFrames()
			s2, _ := Open(s.Dir())
			if _, err := LoadAs[*record.State](s2, items[i%n].Hash); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
