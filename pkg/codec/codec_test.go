package codec

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"pgregory.net/rapid"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// le is the little-endian binary64 bytes of xs, in hex.
func le(xs ...float64) string {
	var b []byte
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return hex.EncodeToString(b)
}

func TestArrayEncoding(t *testing.T) {
	// Each want is written out by hand from FORMAT.md §Typed arrays:
	// a2, 64 "data", d8 56 (tag 86), byte string head, payload,
	// 65 "shape", array head, dimensions.
	const (
		data  = "a2 64 64617461 d856"
		shape = "65 7368617065"
	)
	cases := []struct {
		name string
		a    Array
		want string
	}{
		{"vector", NewArray([]float64{1, -0.25, 3}, 3),
			data + "58 18" + le(1, -0.25, 3) + shape + "81 03"},
		{"matrix", NewArray([]float64{1, 2, 3, 4, 5, 6}, 2, 3),
			data + "58 30" + le(1, 2, 3, 4, 5, 6) + shape + "82 02 03"},
		{"empty vector", NewArray([]float64{}, 0),
			data + "40" + shape + "81 00"},
		{"nil data", NewArray(nil, 0),
			data + "40" + shape + "81 00"},
		{"no atoms", NewArray(nil, 0, 3),
			data + "40" + shape + "82 00 03"},
		{"two floats, short head", NewArray([]float64{0, 0}, 2),
			data + "50" + le(0, 0) + shape + "81 02"},
		{"special values kept bit for bit", NewArray([]float64{math.Copysign(0, -1), math.Inf(1), math.Float64frombits(0x7ff8000000000001)}, 3),
			data + "58 18" + le(math.Copysign(0, -1), math.Inf(1), math.Float64frombits(0x7ff8000000000001)) + shape + "81 03"},
		{"eight dimensions", NewArray([]float64{7}, 1, 1, 1, 1, 1, 1, 1, 1),
			data + "48" + le(7) + shape + "88 01 01 01 01 01 01 01 01"},
		{"dimension 24 takes a one-byte argument", NewArray(make([]float64, 24), 24),
			data + "58 c0" + le(make([]float64, 24)...) + shape + "81 18 18"},
		{"dimension 256 takes a two-byte argument", NewArray(make([]float64, 256), 256, 1),
			data + "59 0800" + le(make([]float64, 256)...) + shape + "82 19 0100 01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := unhex(t, c.want)
			got, err := c.a.MarshalCBOR()
			if err != nil {
				t.Fatalf("MarshalCBOR: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("MarshalCBOR:\n got %x\nwant %x", got, want)
			}
			// Through the generic encoder the bytes are the same.
			viaMarshal, err := Marshal(c.a)
			if err != nil || !bytes.Equal(viaMarshal, want) {
				t.Fatalf("Marshal: %x, %v", viaMarshal, err)
			}
			var back Array
			if err := back.UnmarshalCBOR(got); err != nil {
				t.Fatalf("UnmarshalCBOR: %v", err)
			}
			if !reflect.DeepEqual(back.Shape, c.a.Shape) || len(back.Data) != len(c.a.Data) {
				t.Fatalf("round trip: %v, want %v", back, c.a)
			}
			for i := range back.Data {
				if math.Float64bits(back.Data[i]) != math.Float64bits(c.a.Data[i]) {
					t.Fatalf("round trip data[%d]: bits %x, want %x", i, math.Float64bits(back.Data[i]), math.Float64bits(c.a.Data[i]))
				}
			}
			// Unmarshal (strict, with the canonical check) agrees.
			var viaUnmarshal Array
			if err := Unmarshal(got, &viaUnmarshal); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
		})
	}
}

func TestArrayDecodedMatchesCBORTag(t *testing.T) {
	// The generic decoder sees the same structure: a tag 86 around the
	// payload and a shape array, so other CBOR libraries read it as is.
	a := NewArray([]float64{1.5, 2}, 2)
	b, err := a.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	v, err := ToAny(b)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := v.(map[any]any)
	if !ok {
		t.Fatalf("decoded %T, want a map", v)
	}
	tag, ok := m["data"].(cbor.Tag)
	if !ok || tag.Number != TagFloat64LE {
		t.Fatalf("data: %#v, want tag 86", m["data"])
	}
	if got := hex.EncodeToString(tag.Content.([]byte)); got != le(1.5, 2) {
		t.Fatalf("payload %s, want %s", got, le(1.5, 2))
	}
	if fmt.Sprint(m["shape"]) != "[2]" {
		t.Fatalf("shape %#v", m["shape"])
	}
}

func TestArrayCheck(t *testing.T) {
	cases := []struct {
		name string
		a    Array
		err  string // substring; "" for valid
	}{
		{"valid", NewArray([]float64{1, 2, 3, 4, 5, 6}, 3, 2), ""},
		{"zero dimension", NewArray(nil, 5, 0, 7), ""},
		{"no shape", Array{Data: []float64{1}}, "no shape"},
		{"negative", NewArray(nil, -1), "negative"},
		{"mismatch", NewArray([]float64{1, 2}, 3), "holds 3 values, data has 2"},
		{"too large", NewArray(nil, 1<<16, 1<<16), "too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.a.Check()
			if c.err == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("Check: %v, want an error containing %q", err, c.err)
			}
			if _, err := c.a.MarshalCBOR(); err == nil {
				t.Fatal("MarshalCBOR accepted an invalid array")
			}
		})
	}
}

func TestArrayUnmarshalRejects(t *testing.T) {
	one := le(1)
	cases := []struct{ name, hex string }{
		{"empty input", ""},
		{"not a map", "80"},
		{"one-pair map", "a1 64 64617461 d856 48" + one},
		{"three-pair map", "a3 64 64617461 d856 48" + one + "65 7368617065 81 01 61 78 00"},
		{"keys in the wrong order", "a2 65 7368617065 81 01 64 64617461 d856 48" + one},
		{"tag 85 (float32 little endian)", "a2 64 64617461 d855 48" + one + "65 7368617065 81 01"},
		{"tag 82 (float64 big endian)", "a2 64 64617461 d852 48" + one + "65 7368617065 81 01"},
		{"no tag", "a2 64 64617461 48" + one + "65 7368617065 81 01"},
		{"tag with non-shortest head", "a2 64 64617461 d90056 48" + one + "65 7368617065 81 01"},
		{"byte string with non-shortest head", "a2 64 64617461 d856 5808" + one + "65 7368617065 81 01"},
		{"indefinite byte string", "a2 64 64617461 d856 5f 48" + one + "ff 65 7368617065 81 01"},
		{"payload not a multiple of 8", "a2 64 64617461 d856 47 00000000000000 65 7368617065 81 01"},
		{"payload truncated", "a2 64 64617461 d856 50" + one},
		{"shape missing", "a2 64 64617461 d856 48" + one},
		{"empty shape", "a2 64 64617461 d856 48" + one + "65 7368617065 80"},
		{"nine dimensions", "a2 64 64617461 d856 48" + one + "65 7368617065 89 010101010101010101"},
		{"negative dimension", "a2 64 64617461 d856 48" + one + "65 7368617065 81 20"},
		{"float dimension", "a2 64 64617461 d856 48" + one + "65 7368617065 81 f93c00"},
		{"dimension with non-shortest head", "a2 64 64617461 d856 48" + one + "65 7368617065 81 1801"},
		{"dimension beyond int32", "a2 64 64617461 d856 48" + one + "65 7368617065 81 1b0000000100000000"},
		{"indefinite shape", "a2 64 64617461 d856 48" + one + "65 7368617065 9f 01 ff"},
		{"indefinite map", "bf 64 64617461 d856 48" + one + "65 7368617065 81 01 ff"},
		{"shape does not match data", "a2 64 64617461 d856 48" + one + "65 7368617065 81 02"},
		{"trailing bytes", "a2 64 64617461 d856 48" + one + "65 7368617065 81 01 00"},
		{"key as byte string", "a2 44 64617461 d856 48" + one + "65 7368617065 81 01"},
		{"reserved additional information", "a2 64 64617461 d856 48" + one + "65 7368617065 81 1c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := unhex(t, c.hex)
			var a Array
			if err := a.UnmarshalCBOR(b); err == nil {
				t.Fatalf("UnmarshalCBOR accepted %x as %v", b, a)
			}
			if a.Shape != nil || a.Data != nil {
				t.Fatalf("a failed UnmarshalCBOR modified its receiver: %v", a)
			}
			if err := Unmarshal(b, &a); err == nil {
				t.Fatalf("Unmarshal accepted %x", b)
			}
		})
	}
}

func TestHeads(t *testing.T) {
	// appendHead writes what fxamacker's encoder writes for an unsigned
	// integer (RFC 8949 §4.2.1: shortest argument), and readHead inverts it.
	rapid.Check(t, func(t *rapid.T) {
		bits := rapid.IntRange(0, 64).Draw(t, "bits")
		x := rapid.Uint64().Draw(t, "x")
		if bits < 64 {
			x &= 1<<bits - 1
		}
		want, err := Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		got := appendHead(nil, majUint, x)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendHead(%d) = %x, fxamacker %x", x, got, want)
		}
		m, y, rest, err := readHead(append(got, 0xaa))
		if err != nil || m != majUint || y != x || !bytes.Equal(rest, []byte{0xaa}) {
			t.Fatalf("readHead(%x) = %d, %d, %x, %v", got, m, y, rest, err)
		}
	})
	for _, h := range []string{"1817", "190017", "1900ff", "1a0000ffff", "1b00000000ffffffff", "1b0000000000000000"} {
		if _, _, _, err := readHead(unhex(t, h)); !errors.Is(err, ErrNonCanonical) {
			t.Errorf("readHead(%s): %v, want ErrNonCanonical", h, err)
		}
	}
	for _, h := range []string{"", "18", "19ff", "1affffff", "1bffffffffffffff", "1f", "1c"} {
		if _, _, _, err := readHead(unhex(t, h)); err == nil {
			t.Errorf("readHead(%s) accepted a truncated or reserved head", h)
		}
	}
}

// rec is a small record-like struct for the canonical check.
type rec struct {
	Kind  string             `cbor:"kind"`
	V     uint64             `cbor:"v"`
	N     int                `cbor:"n"`
	X     float64            `cbor:"x"`
	L     []int              `cbor:"l"`
	M     map[string]float64 `cbor:"m,omitempty"`
	Bytes []byte             `cbor:"b,omitempty"`
	A     *Array             `cbor:"arr,omitempty"`
}

func TestUnmarshalCanonical(t *testing.T) {
	// The canonical encoding of
	// {"l": [1], "n": -2, "v": 1, "x": 1.5, "kind": "t"}: keys sorted by
	// their encoded bytes (length first for text keys).
	const good = "a5 616c 8101 616e 21 6176 01 6178 f93e00 646b696e64 6174"
	var r rec
	if err := Unmarshal(unhex(t, good), &r); err != nil {
		t.Fatalf("Unmarshal(good): %v", err)
	}
	want := rec{Kind: "t", V: 1, N: -2, X: 1.5, L: []int{1}}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("decoded %+v, want %+v", r, want)
	}
	if b, err := Marshal(want); err != nil || !bytes.Equal(b, unhex(t, good)) {
		t.Fatalf("Marshal = %x, %v; want %s", b, err, good)
	}

	cases := []struct {
		name, hex string
		canon     bool // the error must be ErrNonCanonical
	}{
		{"keys unsorted", "a5 616e 21 616c 8101 6176 01 6178 f93e00 646b696e64 6174", true},
		{"longer key first", "a5 646b696e64 6174 616c 8101 616e 21 6176 01 6178 f93e00", true},
		{"integer with a one-byte argument", "a5 616c 8101 616e 21 6176 1801 6178 f93e00 646b696e64 6174", true},
		{"negative integer with a two-byte argument", "a5 616c 8101 616e 390001 6176 01 6178 f93e00 646b696e64 6174", true},
		{"float64 where float16 holds the value", "a5 616c 8101 616e 21 6176 01 6178 fb3ff8000000000000 646b696e64 6174", true},
		{"float32 where float16 holds the value", "a5 616c 8101 616e 21 6176 01 6178 fa3fc00000 646b696e64 6174", true},
		{"integer in a float field", "a5 616c 8101 616e 21 6176 01 6178 02 646b696e64 6174", true},
		{"array length with a one-byte argument", "a5 616c 980101 616e 21 6176 01 6178 f93e00 646b696e64 6174", true},
		{"text length with a one-byte argument", "a5 616c 8101 616e 21 6176 01 6178 f93e00 646b696e64 780174", true},
		{"missing field", "a4 616c 8101 616e 21 6176 01 6178 f93e00", true},
		{"null for an array", "a5 616c f6 616e 21 6176 01 6178 f93e00 646b696e64 6174", true},
		{"empty map for an omitted field", "a6 616c 8101 616d a0 616e 21 6176 01 6178 f93e00 646b696e64 6174", true},
		{"tag around an integer", "a5 616c 8101 616e 21 6176 c001 6178 f93e00 646b696e64 6174", false},
		{"indefinite map", "bf 616c 8101 616e 21 6176 01 6178 f93e00 646b696e64 6174 ff", false},
		{"indefinite array", "a5 616c 9f01ff 616e 21 6176 01 6178 f93e00 646b696e64 6174", false},
		{"indefinite text", "a5 616c 8101 616e 21 6176 01 6178 f93e00 646b696e64 7f6174ff", false},
		{"duplicate key", "a6 616c 8101 616e 21 6176 01 6176 01 6178 f93e00 646b696e64 6174", false},
		{"unknown field", "a6 616c 8101 616e 21 6176 01 6178 f93e00 6179 00 646b696e64 6174", false},
		{"field name in another case", "a5 616c 8101 614e 21 6176 01 6178 f93e00 646b696e64 6174", false},
		{"invalid UTF-8", "a5 616c 8101 616e 21 6176 01 6178 f93e00 646b696e64 61ff", false},
		{"trailing bytes", "a5 616c 8101 616e 21 6176 01 6178 f93e00 646b696e64 6174 00", false},
		{"truncated", "a5 616c 8101 616e 21 6176 01 6178 f93e00 646b696e64 61", false},
		{"wrong type", "a5 616c 8101 616e 21 6176 6131 6178 f93e00 646b696e64 6174", false},
		{"integer overflows the field", "a5 616c 8101 616e 3bffffffffffffffff 6176 01 6178 f93e00 646b696e64 6174", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r rec
			err := Unmarshal(unhex(t, c.hex), &r)
			if err == nil {
				t.Fatalf("Unmarshal accepted %s as %+v", c.hex, r)
			}
			if c.canon && !errors.Is(err, ErrNonCanonical) {
				t.Fatalf("Unmarshal: %v, want ErrNonCanonical", err)
			}
		})
	}
}

func TestFloatWidths(t *testing.T) {
	// RFC 8949 §4.2.1 and fxamacker's ShortestFloat16: the shortest of
	// binary16, binary32, binary64 that holds the value exactly (subnormals
	// included); NaN as f97e00; infinities as binary16.
	cases := []struct {
		x    float64
		want string
	}{
		{0, "f90000"},
		{math.Copysign(0, -1), "f98000"},
		{1, "f93c00"},
		{1.5, "f93e00"},
		{300, "f95cb0"},
		{65504, "f97bff"},                   // largest binary16
		{65505, "fa477fe100"},               // binary32
		{math.Ldexp(1, -24), "f90001"},      // smallest binary16 subnormal
		{math.Ldexp(1, -25), "fa33000000"},  // below it: binary32
		{math.Ldexp(1, -149), "fa00000001"}, // smallest binary32 subnormal
		{math.Ldexp(3, -150), "fb36a8000000000000"},
		{0.1, "fb3fb999999999999a"},
		{0.002, "fb3f60624dd2f1a9fc"},
		{1e300, "fb7e37e43c8800759c"},
		{math.Inf(1), "f97c00"},
		{math.Inf(-1), "f9fc00"},
		{math.NaN(), "f97e00"},
		{math.Float64frombits(0x7ff0000000000001), "f97e00"}, // every NaN is one NaN
	}
	for _, c := range cases {
		b, err := Marshal(c.x)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(b); got != c.want {
			t.Errorf("Marshal(%v) = %s, want %s", c.x, got, c.want)
		}
	}
	// A NaN with a payload decodes but is not canonical.
	var x float64
	if err := Unmarshal(unhex(t, "f97e01"), &x); !errors.Is(err, ErrNonCanonical) {
		t.Errorf("Unmarshal(f97e01): %v, want ErrNonCanonical", err)
	}
}

func TestNilContainers(t *testing.T) {
	// A nil and an empty slice are one value with one encoding (an empty
	// array), so a record's hash never depends on how it was built.
	a, err := Marshal(rec{L: nil})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(rec{L: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("nil slice %x, empty slice %x", a, b)
	}
	if !bytes.Contains(a, unhex(t, "616c80")) {
		t.Fatalf("%x: want l as an empty array", a)
	}
}

func TestMarshalRefusesInvalidUTF8(t *testing.T) {
	// fxamacker writes Go strings as they are; a strict reader refuses
	// invalid UTF-8, so Marshal must refuse to write it.
	for name, v := range map[string]any{
		"text":        "we-\xff",
		"map key":     map[string]float64{"r\xc3": 1},
		"in a struct": rec{Kind: "\xed\xa0\x80", L: []int{}},
		"in an array": []string{"ok", "\x80"},
		"after bytes": []any{[]byte{0xff, 0xfe}, "\xfe"},
	} {
		if b, err := Marshal(v); err == nil {
			t.Errorf("%s: Marshal wrote %x", name, b)
		}
	}
	for name, v := range map[string]any{
		"ascii":              "we-step",
		"multibyte":          "r≥1.0 Å",
		"bytes are not text": []byte{0xff},
		"typed array":        NewArray([]float64{math.Float64frombits(0xffffffffffffffff)}, 1),
	} {
		b, err := Marshal(v)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var back any
		if err := decMode.Unmarshal(b, &back); err != nil {
			t.Errorf("%s: the strict decoder refuses %x: %v", name, b, err)
		}
	}
}

func TestNesting(t *testing.T) {
	nest := func(n int) []byte {
		b := bytes.Repeat([]byte{0x81}, n)
		return append(b, 0x00)
	}
	var v any
	// MaxNestedLevels counts the arrays and maps around a leaf; tags do
	// not count.
	if err := Unmarshal(nest(MaxNestedLevels), &v); err != nil {
		t.Fatalf("%d levels: %v", MaxNestedLevels, err)
	}
	if err := Unmarshal(nest(MaxNestedLevels+1), &v); err == nil {
		t.Fatalf("%d levels accepted", MaxNestedLevels+1)
	}
	tagged := append(bytes.Repeat([]byte{0x81}, MaxNestedLevels), 0xd8, 0x64, 0x00)
	if err := Unmarshal(tagged, &v); err != nil {
		t.Fatalf("%d levels and a tag: %v", MaxNestedLevels, err)
	}
	if err := Valid(nest(MaxNestedLevels + 1)); err == nil {
		t.Fatalf("Valid accepted %d levels", MaxNestedLevels+1)
	}
}

func TestDecodeHeader(t *testing.T) {
	b, err := Marshal(rec{Kind: "state", V: 3, L: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := DecodeHeader(b)
	if err != nil || h != (Header{Kind: "state", Version: 3}) {
		t.Fatalf("DecodeHeader = %+v, %v", h, err)
	}
	if _, err := DecodeHeader(unhex(t, "a1 646b696e64 05")); err == nil {
		t.Fatal("DecodeHeader accepted a numeric kind")
	}
	if _, err := DecodeHeader(unhex(t, "a2 6176 01 6176 02")); err == nil {
		t.Fatal("DecodeHeader accepted a duplicate key")
	}
}

func TestRoundTripProperty(t *testing.T) {
	// Whatever Marshal writes, Unmarshal accepts and decodes to an equal
	// value (floats compared bit for bit after NaN canonicalisation).
	rapid.Check(t, func(t *rapid.T) {
		r := rec{
			Kind: rapid.StringMatching(`[a-z]{0,30}`).Draw(t, "kind"),
			V:    rapid.Uint64().Draw(t, "v"),
			N:    rapid.Int().Draw(t, "n"),
			X:    math.Float64frombits(rapid.Uint64().Draw(t, "x")),
			L:    rapid.SliceOfN(rapid.Int(), 0, 30).Draw(t, "l"),
		}
		if math.IsNaN(r.X) {
			r.X = math.NaN()
		}
		if rapid.Bool().Draw(t, "has map") {
			r.M = rapid.MapOfN(rapid.StringMatching(`[a-zA-Z0-9_]{0,40}`), rapid.Float64(), 1, 20).Draw(t, "m")
		}
		if rapid.Bool().Draw(t, "has array") {
			n := rapid.IntRange(0, 20).Draw(t, "n")
			a := NewArray(rapid.SliceOfN(rapid.Float64(), n, n).Draw(t, "data"), n)
			r.A = &a
		}
		b, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back rec
		if err := Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(Marshal(%+v)) = %v (%x)", r, err, b)
		}
		again, err := Marshal(back)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("second encoding differs: %x vs %x (%v)", again, b, err)
		}
		if math.Float64bits(back.X) != math.Float64bits(r.X) && !(math.IsNaN(back.X) && math.IsNaN(r.X)) {
			t.Fatalf("x: %v, want %v", back.X, r.X)
		}
		if fmt.Sprint(back.L) != fmt.Sprint(r.L) || len(back.M) != len(r.M) {
			t.Fatalf("decoded %+v, want %+v", back, r)
		}
	})
}

func benchArray(n int) Array {
	data := make([]float64, 3*n)
	for i := range data {
		data[i] = float64(i) * 0.1
	}
	return NewArray(data, n, 3)
}

func BenchmarkArrayMarshal(b *testing.B) {
	for _, n := range []int{48, 3000, 100000} {
		a := benchArray(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(24 * n))
			for i := 0; i < b.N; i++ {
				if _, err := a.MarshalCBOR(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkArrayUnmarshal(b *testing.B) {
	for _, n := range []int{48, 3000, 100000} {
		enc, err := benchArray(n).MarshalCBOR()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(24 * n))
			for i := 0; i < b.N; i++ {
				var a Array
				if err := a.UnmarshalCBOR(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
