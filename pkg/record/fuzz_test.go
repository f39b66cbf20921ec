package record_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"runtime"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
)

// maxAlloc bounds what decoding n input bytes may allocate. Decoding
// expands a CBOR item into Go values (a walker is about 100 bytes of Go
// struct, a float64 of a typed array 8 bytes of slice), plus a fixed cost
// for the decoder and the re-encoding of the canonical check; 1 MiB +
// 512 bytes per input byte is far above what valid records need and far
// below what a length field claiming gigabytes would cost.
func maxAlloc(n int) uint64 { return 1<<20 + 512*uint64(n) }

// FuzzDecode checks that Decode never panics, never allocates far beyond
// the size of its input, and accepts only canonical encodings: a decoded
// record re-encodes to exactly its input bytes, so its hash is its name.
func FuzzDecode(f *testing.F) {
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		f.Fatal(err)
	}
	var v Vectors
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	for _, x := range v.Valid {
		f.Add(mustHex(f, x.Hex))
	}
	for _, x := range v.Invalid {
		f.Add(mustHex(f, x.Hex))
	}
	for _, s := range []string{
		"",
		"a2617601646b696e646573746174659b00000000ffffffff",                     // a map whose field claims 2^32 elements
		"a2617601646b696e6465737461746569706f736974696f6e735b7fffffffffffffff", // byte string of 2^63 bytes
		"a3617601646b696e64657374617465657374657073bb0000000100000000",         // map of 2^32 pairs
	} {
		f.Add(mustHex(f, s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		o, err := record.Decode(data)
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > maxAlloc(len(data)) {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(data), got)
		}
		if err != nil {
			return
		}
		again, h, err := record.Encode(o)
		if err != nil {
			t.Fatalf("Encode of a decoded %s: %v", o.ObjectKind(), err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("re-encoding differs:\n  in %x\n out %x", data, again)
		}
		if h != record.Sum(data) {
			t.Fatalf("hash %s, want %s", h, record.Sum(data))
		}
		if k, err := record.Peek(data); err != nil || k != o.ObjectKind() {
			t.Fatalf("Peek = %q, %v; Decode gave a %s", k, err, o.ObjectKind())
		}
	})
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Generators of valid records for the round-trip property.

func genHash(t *rapid.T, label string) record.Hash {
	var h record.Hash
	copy(h[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, label))
	return h
}

// genFinite draws finite floats with an emphasis on the edges of the
// binary16 and binary32 ranges, where the shortest-float rule changes width.
func genFinite(t *rapid.T, label string) float64 {
	return rapid.OneOf(
		rapid.Float64Range(-1e300, 1e300),
		rapid.SampledFrom([]float64{0, math.Copysign(0, -1), 1, 65504, 65505, math.Ldexp(1, -24), math.Ldexp(1, -25), math.Ldexp(1, -149), math.SmallestNonzeroFloat64, math.MaxFloat64}),
		rapid.Map(rapid.Int16(), func(i int16) float64 { return float64(i) / 64 }),
	).Draw(t, label)
}

func genObs(t *rapid.T, label string) map[string]float64 {
	return rapid.MapOfN(rapid.String(), rapid.Custom(func(t *rapid.T) float64 { return genFinite(t, "v") }), 0, 4).Draw(t, label)
}

func genSnapshot(t *rapid.T) *record.Snapshot {
	s := record.NewSnapshot()
	s.Cycle = rapid.Uint64().Draw(t, "cycle")
	s.System = genHash(t, "system")
	s.Parents = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) record.Hash { return genHash(t, "p") }), 0, 3).Draw(t, "parents")
	n := rapid.IntRange(1, 12).Draw(t, "walkers")
	raw := rapid.SliceOfN(rapid.Float64Range(1e-6, 1), n, n).Draw(t, "raw weights")
	var sum float64
	for _, x := range raw {
		sum += x
	}
	for i := range n {
		w := record.Walker{State: genHash(t, "state"), Weight: raw[i] / sum, Parent: -1, Obs: genObs(t, "obs")}
		if len(s.Parents) > 0 {
			w.Parent = rapid.IntRange(0, 1<<40).Draw(t, "parent")
		}
		w.Region = rapid.SliceOfN(rapid.IntRange(-3, 1000), 0, 4).Draw(t, "region")
		if rapid.Bool().Draw(t, "segment") {
			h := genHash(t, "seg")
			w.Segment = &h
		}
		s.Walkers = append(s.Walkers, w)
	}
	s.Op = record.Op{
		Tool:    rapid.StringMatching(`we-[a-z]{1,10}`).Draw(t, "tool"),
		Version: rapid.String().Draw(t, "version"),
		Params:  rapid.MapOfN(rapid.String(), rapid.String(), 0, 5).Draw(t, "params"),
	}
	for range rapid.IntRange(0, 6).Draw(t, "decisions") {
		s.Decisions = append(s.Decisions, record.Decision{
			Decision: uint8(rapid.IntRange(1, 4).Draw(t, "code")),
			Targets:  rapid.SliceOfN(rapid.IntRange(0, n-1), 0, 3).Draw(t, "targets"),
		})
	}
	for range rapid.IntRange(0, 3).Draw(t, "warps") {
		s.Warps = append(s.Warps, record.Warp{
			Cycle: rapid.Uint64().Draw(t, "wc"), Walker: rapid.IntRange(0, 1<<20).Draw(t, "ww"),
			Weight: rapid.Float64Range(1e-300, 1).Draw(t, "wweight"), Target: rapid.IntRange(0, 9).Draw(t, "wt"),
			Cond: rapid.String().Draw(t, "cond"),
		})
	}
	// Summary values are not checked by the format: any float64, NaN and
	// infinities included, must survive.
	s.Summary = rapid.MapOfN(rapid.String(), rapid.Map(rapid.Uint64(), math.Float64frombits), 0, 4).Draw(t, "summary")
	if rapid.Bool().Draw(t, "resampler") {
		s.Resampler = &record.Resampler{Name: rapid.String().Draw(t, "rname"), State: rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "rstate")}
	}
	return s
}

func genState(t *rapid.T) *record.State {
	s := record.NewState()
	n := rapid.IntRange(0, 5).Draw(t, "atoms")
	draw := func(label string) []float64 {
		xs := make([]float64, 3*n)
		for i := range xs {
			xs[i] = genFinite(t, label)
		}
		return xs
	}
	s.Positions = codec.NewArray(draw("x"), n, 3)
	s.Velocities = codec.NewArray(draw("v"), n, 3)
	if rapid.Bool().Draw(t, "box") {
		s.Box = []float64{genFinite(t, "b"), genFinite(t, "b"), genFinite(t, "b")}
	}
	s.Time = genFinite(t, "time")
	s.Step = rapid.Uint64().Draw(t, "step")
	s.Potential = genFinite(t, "epot")
	s.Kinetic = genFinite(t, "ekin")
	s.Obs = genObs(t, "obs")
	return s
}

func genSegment(t *rapid.T) *record.Segment {
	s := record.NewSegment()
	k := rapid.IntRange(0, 4).Draw(t, "frames")
	n := rapid.IntRange(0, 3).Draw(t, "atoms")
	xs := make([]float64, 3*k*n)
	for i := range xs {
		xs[i] = genFinite(t, "x")
	}
	s.Positions = codec.NewArray(xs, k, n, 3)
	s.Steps = rapid.SliceOfN(rapid.Uint64(), k, k).Draw(t, "steps")
	s.Times = make([]float64, k)
	for i := range s.Times {
		s.Times[i] = genFinite(t, "t")
	}
	if rapid.Bool().Draw(t, "obs") {
		s.Obs = map[string][]float64{rapid.String().Draw(t, "name"): append([]float64(nil), s.Times...)}
	}
	return s
}

// TestEncodeDecodeProperty: every valid record encodes, decodes and
// re-encodes to the same bytes and hash (the canonical check never refuses
// what Encode writes).
func TestEncodeDecodeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var o record.Object
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			o = genSnapshot(t)
		case 1:
			o = genState(t)
		case 2:
			o = genSegment(t)
		}
		b, h, err := record.Encode(o)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		back, err := record.Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(%+v)) = %v (%x)", o, err, b)
		}
		again, h2, err := record.Encode(back)
		if err != nil || !bytes.Equal(again, b) || h2 != h {
			t.Fatalf("re-encoding differs (%v):\n got %x\nwant %x", err, again, b)
		}
	})
}

func TestEncodeRefusesInvalidText(t *testing.T) {
	// Text a strict reader would refuse is refused when writing, so that
	// no unreadable object reaches a store.
	s := record.NewSnapshot()
	s.Op.Tool = "we-resample"
	s.Walkers = []record.Walker{{Weight: 1, Parent: -1}}
	s.Warps = []record.Warp{{Walker: 0, Weight: 1, Cond: "r>=\xff"}}
	if b, _, err := record.Encode(s); err == nil {
		t.Fatalf("Encode wrote %x", b)
	}
}
