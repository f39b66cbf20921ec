package record_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"runtime"
	"testing"

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
