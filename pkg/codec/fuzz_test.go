package codec

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// FuzzArray checks that UnmarshalCBOR never panics and accepts only the
// bytes MarshalCBOR writes: a decoded array re-encodes to its input
// exactly, so a typed array has one encoding.
func FuzzArray(f *testing.F) {
	for _, a := range []Array{
		NewArray([]float64{1, -0.25, 3}, 3),
		NewArray([]float64{1, 2, 3, 4, 5, 6}, 2, 3),
		NewArray(nil, 0),
		NewArray(nil, 0, 3),
		NewArray([]float64{7}, 1, 1, 1, 1, 1, 1, 1, 1),
		NewArray(make([]float64, 24), 24),
	} {
		b, err := a.MarshalCBOR()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"a26464617461d8554800000000000000006573686170658101",           // tag 85
		"a26464617461d856480000000000000000657368617065811801",         // non-shortest dimension
		"a26464617461d85658080000000000000000657368617065810101",       // non-shortest length
		"a26464617461d8565f480000000000000000ff6573686170658101",       // indefinite bytes
		"a26464617461d8561b000000000000000865736861706581010000",       // 8-byte length head
		"a26464617461d8565b00000000ffffffff6573686170658101",           // huge length, no payload
		"a26464617461d85640657368617065821b00000000ffffffff1a00ffffff", // zero data, huge shape
	} {
		b, err := hex.DecodeString(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Array
		if err := a.UnmarshalCBOR(b); err != nil {
			return
		}
		if err := a.Check(); err != nil {
			t.Fatalf("UnmarshalCBOR accepted an invalid array %v: %v", a.Shape, err)
		}
		out, err := a.MarshalCBOR()
		if err != nil {
			t.Fatalf("MarshalCBOR of a decoded array: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs:\n  in %x\n out %x", b, out)
		}
		// The strict generic path agrees with the direct one.
		var via Array
		if err := Unmarshal(b, &via); err != nil {
			t.Fatalf("Unmarshal refused what UnmarshalCBOR accepted: %v", err)
		}
	})
}

// FuzzUnmarshal checks the strict decoder on a record-like type: it never
// panics, accepts only canonical encodings (a decoded value re-encodes to
// its input), and the walk that runs before the decoder (precheck) never
// refuses what the decoder and the canonical check accept — it only
// refuses earlier, and with a better message, what they would refuse.
func FuzzUnmarshal(f *testing.F) {
	for _, d := range []doc{
		{Kind: "d", Items: []item{{Name: "x", W: 1}, {Name: "y", W: -2.5, Obs: map[string]float64{"r": 0.5}, Tags: []int{1, -3}, Other: &inner{Name: "z"}}}},
		{Kind: "", Items: []item{}, Notes: map[string]string{"a": "b"}},
	} {
		b, err := Marshal(d)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"a2646b696e646164656974656d739a04000000", // 2^26 items declared, none given
		"a1656974656d7380",                       // no kind
		"a2646b696e646164656974656d7381a0",       // an item without its fields
		"",
	} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d doc
		err := Unmarshal(b, &d)
		var full doc
		ferr := decMode.Unmarshal(b, &full)
		if ferr == nil {
			if again, err := encMode.Marshal(&full); err != nil || !bytes.Equal(again, b) {
				ferr = ErrNonCanonical
			}
		}
		if err != nil && ferr == nil {
			t.Fatalf("Unmarshal refused (%v) what the decoder and the canonical check accept", err)
		}
		if err != nil {
			return
		}
		out, err := Marshal(d)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs (%v):\n  in %x\n out %x", err, b, out)
		}
	})
}
