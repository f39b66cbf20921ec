package store

import (
	"fmt"
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
// store: "lookup" opens the store and looks up one packed object (the
// pack's header and trailer read, its index mapped and searched in
// place: FORMAT.md §1.6), "read" reads one (a frame read and
// decompressed too), "index" loads and checks the whole index (56 bytes
// an object, hashed), as a listing or a check does. The store holds 48
// small states a cycle in one pack, for 200 and 2,000 cycles.
func BenchmarkPackedFirstRead(b *testing.B) {
	for _, cycles := range []int{200, 2000} {
		n := 48 * cycles
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
		b.Run(fmt.Sprintf("cycles=%d/lookup", cycles), func(b *testing.B) {
			i := 0
			for b.Loop() {
				s2, _ := Open(s.Dir())
				if !s2.Has(record.KindState, items[i%n].Hash) {
					b.Fatal("a packed state not found")
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("cycles=%d/read", cycles), func(b *testing.B) {
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
		b.Run(fmt.Sprintf("cycles=%d/index", cycles), func(b *testing.B) {
			for b.Loop() {
				s2, _ := Open(s.Dir())
				if ps, _ := s2.packs(); len(ps) != 1 {
					b.Fatal("no pack")
				}
			}
		})
	}
}
