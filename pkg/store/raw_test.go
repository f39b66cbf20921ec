package store

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// Large incompressible content goes into a raw-block frame that any zstd
// reader decodes to the same bytes, with the content size declared.
func TestRawFrame(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{rawMin, rawMin + 1, 3<<20 + 12345, 128<<10*9 + 0} {
		data := make([]byte, n)
		for i := 0; i+8 <= n; i += 8 {
			binary.LittleEndian.PutUint64(data[i:], math.Float64bits(r.NormFloat64()))
		}
		z := Compress(data)
		if z[4] != 0xe0 {
			t.Fatalf("n=%d: not a raw frame (descriptor %#x)", n, z[4])
		}
		if want := 13 + n + 3*((n+128<<10-1)/(128<<10)); len(z) != want {
			t.Errorf("n=%d: frame of %d bytes, want %d", n, len(z), want)
		}
		var hdr zstd.Header
		if err := hdr.Decode(z); err != nil || !hdr.HasFCS || hdr.FrameContentSize != uint64(n) {
			t.Fatalf("n=%d: header %+v, %v", n, hdr, err)
		}
		got, err := Decompress(z)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("n=%d: Decompress: %v (equal %v)", n, err, bytes.Equal(got, data))
		}
		if zstdCLI, err := exec.LookPath("zstd"); err == nil && n == rawMin {
			p := filepath.Join(t.TempDir(), "obj")
			os.WriteFile(p, z, 0o644)
			out, err := exec.Command(zstdCLI, "-dc", p).Output()
			if err != nil || !bytes.Equal(out, data) {
				t.Errorf("zstd -dc: %v (equal %v)", err, bytes.Equal(out, data))
			}
		}
	}
	// Compressible content of the same size still goes through the encoder.
	zeros := make([]byte, 2<<20)
	if z := Compress(zeros); len(z) > 1<<16 {
		t.Errorf("2 MiB of zeros compressed to %d bytes", len(z))
	}
}
