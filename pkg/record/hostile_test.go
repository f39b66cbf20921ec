package record_test

import (
	"errors"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
)

// TestDecodeHugeArray: a snapshot whose walkers are millions of one-byte
// items (what a small zstd frame of zeros decompresses to) is refused
// before the decoder allocates a walker structure for each (FORMAT.md §7),
// under a memory limit far below what those would take. The record is 8
// MiB; 8 Mi walkers of 88 bytes would be 704 MiB.
func TestDecodeHugeArray(t *testing.T) {
	const n = 8 << 20
	// {"v": 1, "kind": "snapshot", "walkers": [n × 0x00]}
	data := []byte{0xa3, 0x61, 'v', 0x01, 0x64, 'k', 'i', 'n', 'd', 0x68}
	data = append(data, "snapshot"...)
	data = append(data, 0x67)
	data = append(data, "walkers"...)
	data = append(data, 0x9a, n>>24, n>>16&0xff, n>>8&0xff, n&0xff)
	data = append(data, make([]byte, n)...)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := record.Decode(data)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, codec.ErrTooManyElements) {
		t.Fatalf("Decode: %v, want ErrTooManyElements", err)
	}
	if !strings.Contains(err.Error(), "walkers: array of 8388608 elements declared") {
		t.Errorf("Decode: %v, want the field named", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("refusing %d bytes allocated %d KiB", len(data), got>>10)
	}
}

// TestDecodeMissingField: a record without a required field is refused
// naming the field (with its path), not as a non-canonical encoding.
func TestDecodeMissingField(t *testing.T) {
	st := record.NewState()
	st.Positions = codec.NewArray([]float64{0, 0, 0}, 1, 3)
	st.Velocities = codec.NewArray([]float64{0, 0, 0}, 1, 3)
	data, _, err := record.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	// Drop "ekin": 0.0 (64 65 6b 69 6e f9 00 00) and lower the map's
	// length by one.
	i := strings.Index(string(data), "\x64ekin")
	if i < 0 || data[0]&0xe0 != 0xa0 {
		t.Fatalf("unexpected encoding %x", data)
	}
	bad := append([]byte{data[0] - 1}, data[1:i]...)
	bad = append(bad, data[i+8:]...)
	_, err = record.Decode(bad)
	if err == nil || err.Error() != `decode state: missing field "ekin"` {
		t.Fatalf("Decode: %v, want the missing field named", err)
	}

	sn := record.NewSnapshot()
	sn.Walkers = []record.Walker{{Weight: 0.5, Parent: -1}, {Weight: 0.5, Parent: -1}}
	sn.Op = record.Op{Tool: "t", Version: "1"}
	data, _, err = record.Encode(sn)
	if err != nil {
		t.Fatal(err)
	}
	// The second walker without its "parent" (66 70 61 72 65 6e 74 20).
	i = strings.LastIndex(string(data), "\x66parent")
	j := strings.LastIndex(string(data[:i]), "\xa3")
	bad = append([]byte(nil), data[:j]...)
	bad = append(bad, 0xa2)
	bad = append(bad, data[j+1:i]...)
	bad = append(bad, data[i+8:]...)
	_, err = record.Decode(bad)
	if err == nil || err.Error() != `decode snapshot: walkers[1]: missing field "parent"` {
		t.Fatalf("Decode: %v, want the missing field named", err)
	}
}
