package codec

import (
	"bytes"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// item is a record-like element whose Go value (72 bytes) is far larger
// than its smallest encoding would be without required fields.
type item struct {
	Name  string             `cbor:"name"`
	W     float64            `cbor:"w"`
	Obs   map[string]float64 `cbor:"obs,omitempty"`
	Tags  []int              `cbor:"tags,omitempty"`
	Other *inner             `cbor:"other,omitempty"`
}

type inner struct {
	Name string `cbor:"name"`
}

type doc struct {
	Kind  string            `cbor:"kind"`
	Items []item            `cbor:"items"`
	Notes map[string]string `cbor:"notes,omitempty"`
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestPrecheckHugeDeclared: an array or map whose head declares far more
// elements than the data holds is refused before the decoder allocates
// for them — a tiny record, and a large one of one-byte items where
// structs belong.
func TestPrecheckHugeDeclared(t *testing.T) {
	// {"kind": "d", "items": [<n one-byte items>]}
	build := func(head []byte, n int) []byte {
		b := unhex(t, "a2 646b696e64 6164 656974656d73")
		b = append(b, head...)
		return append(b, make([]byte, n)...)
	}
	const n = 8 << 20 // 8 Mi zero bytes: 8 Mi items of 72 bytes would be 576 MiB
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"tiny record, 2^26 declared", build(unhex(t, "9a04000000"), 3)},
		{"tiny record, 2^64-1 declared", build(unhex(t, "9bffffffffffffffff"), 3)},
		{"one-byte items where structs belong", build(unhex(t, "9a00800000"), n)},
		{"map of 2^20 pairs in 3 bytes", unhex(t, "a3 646b696e64 6164 656974656d73 80 656e6f746573 ba00100000 6161 6162")},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d doc
			var err error
			got := allocated(func() { err = Unmarshal(c.data, &d) })
			if !errors.Is(err, ErrTooManyElements) {
				t.Fatalf("Unmarshal: %v, want ErrTooManyElements", err)
			}
			t.Logf("%v; allocated %d KiB", err, got>>10)
			if got > 1<<20 {
				t.Errorf("refusing it allocated %d KiB", got>>10)
			}
		})
	}
	// The same count of valid items fits, and decodes.
	one := unhex(t, "a2 6177 f93c00 646e616d65 6178") // {"w": 1.0, "name": "x"}
	var b []byte
	b = append(b, unhex(t, "a2 646b696e64 6164 656974656d73 83")...)
	for range 3 {
		b = append(b, one...)
	}
	var d doc
	if err := Unmarshal(b, &d); err != nil || len(d.Items) != 3 {
		t.Fatalf("three valid items: %v, %+v", err, d)
	}
}

// TestPrecheckFields: a missing required field and an unknown field are
// named with their path; a missing field is also ErrNonCanonical (what the
// canonical check would have said).
func TestPrecheckFields(t *testing.T) {
	for _, c := range []struct {
		name, hex, want string
		missing         bool
	}{
		{"missing at the top", "a1 656974656d73 80", `missing field "kind"`, true},
		{"missing in an element", "a2 646b696e64 6164 656974656d73 82 a2646e616d656178 6177f93c00 a1646e616d656179",
			`items[1]: missing field "w"`, true},
		{"missing in a nested struct", "a2 646b696e64 6164 656974656d73 81 a3 646e616d656178 6177f93c00 656f74686572 a0",
			`items[0].other: missing field "name"`, true},
		{"unknown field", "a3 646b696e64 6164 656974656d73 80 656d61737365 01", `unknown field "masse"`, false},
		{"misspelt field", "a2 646b696e64 6164 656974656d73 81 a2 646e616d656178 6178f93c00",
			`items[0]: unknown field "x"`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d doc
			err := Unmarshal(unhex(t, c.hex), &d)
			if err == nil || err.Error() != c.want {
				t.Fatalf("Unmarshal: %v, want %q", err, c.want)
			}
			if errors.Is(err, ErrMissingField) != c.missing || errors.Is(err, ErrNonCanonical) != c.missing {
				t.Errorf("errors.Is(ErrMissingField, ErrNonCanonical) = %v, %v; want %v", errors.Is(err, ErrMissingField), errors.Is(err, ErrNonCanonical), c.missing)
			}
		})
	}
}

// TestPrecheckLeavesTheRest: what the walk does not judge (malformed data,
// wrong types, depth) reaches the decoder, which refuses it with its own
// message; nothing panics or recurses without bound.
func TestPrecheckLeavesTheRest(t *testing.T) {
	deep := bytes.Repeat([]byte{0x81}, 100000)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", unhex(t, "a2 646b696e64 6164 6569"), "EOF"},
		{"indefinite array", unhex(t, "a2 646b696e64 6164 656974656d73 9fff"), "indefinite"},
		{"deep nesting", append(unhex(t, "a2 646b696e64 6164 656974656d73"), deep...), "exceeded max nested level"},
		{"text where a list belongs", unhex(t, "a2 646b696e64 6164 656974656d73 6178"), "cannot unmarshal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d doc
			err := Unmarshal(c.data, &d)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Unmarshal: %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

// TestMinSize: the minimum sizes the walk assumes are those of real
// encodings; a value of every required field at its smallest decodes.
func TestMinSize(t *testing.T) {
	s := shapeOf(reflect.TypeFor[item]())
	// {"w": 0, "name": ""}: a map head, two keys, two one-byte values.
	b := unhex(t, "a2 6177 00 646e616d65 60")
	if uint64(len(b)) != s.min {
		t.Fatalf("minSize(item) = %d, the smallest map with its required fields is %d bytes", s.min, len(b))
	}
	if err := precheck(b, reflect.TypeFor[item]()); err != nil {
		t.Fatalf("precheck of the smallest item: %v", err)
	}
}
