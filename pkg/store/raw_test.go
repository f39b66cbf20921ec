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

	"github.com/wepipe/wepipe/internal/needs"
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
	}
	// Compressible content of the same size still goes through the encoder.
	zeros := make([]byte, 2<<20)
	if z := Compress(zeros); len(z) > 1<<16 {
		t.Errorf("2 MiB of zeros compressed to %d bytes", len(z))
	}
}

// TestRawFrameZstdCLI cross-checks raw frames with the reference decoder,
// the zstd command (FORMAT.md §1.1: an object is one ordinary zstd frame,
// and `zstd -dc FILE | sha256sum` verifies it by hand): frames of one and
// of several raw blocks, and the encoder's frame of compressible content. scripts/test.sh installs zstd;
// without it the test fails in CI ($CI set) and is skipped, saying so,
// elsewhere.
func TestRawFrameZstdCLI(t *testing.T) {
	zstdCLI := needs.Program(t, "zstd", "zstd")
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{rawMin, 128<<10*3 + 7, 2 << 20} {
		data := make([]byte, n)
		if n != 2<<20 { // incompressible: raw blocks
			for i := 0; i+8 <= n; i += 8 {
				binary.LittleEndian.PutUint64(data[i:], r.Uint64())
			}
		}
		z := Compress(data)
		p := filepath.Join(t.TempDir(), "obj")
		if err := os.WriteFile(p, z, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(zstdCLI, "-dc", p).Output()
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("n=%d: zstd -dc: %v (%d bytes out, equal %v)", n, err, len(out), bytes.Equal(out, data))
		}
	}
}

// FuzzRawContent checks the decoder-free path for raw frames against the
// zstd decoder: whatever rawContent accepts, the decoder decodes to the
// same bytes.
func FuzzRawContent(f *testing.F) {
	f.Add(Compress([]byte("a small state")))
	f.Add(appendRawFrame(nil, bytes.Repeat([]byte{7}, 300)))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x03, 0x00, 0x00}) // RLE block
	f.Add(append(Compress([]byte("trailing")), 0))
	d, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(1<<24))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, z []byte) {
		var hdr zstd.Header
		if hdr.Decode(z) != nil || hdr.FrameContentSize > 1<<24 {
			return
		}
		got, ok := rawContent(z, &hdr, nil)
		if !ok {
			return
		}
		want, err := d.DecodeAll(z, nil)
		if err != nil {
			t.Fatalf("rawContent accepted a frame the decoder refuses (%v)", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("rawContent gave %d bytes, the decoder %d", len(got), len(want))
		}
	})
}

// Small objects are stored raw (no encoder) and read back without the
// decoder; the frames are ordinary zstd.
func TestSmallRawFrames(t *testing.T) {
	for _, n := range []int{0, 1, 234, smallMax - 1} {
		data := bytes.Repeat([]byte("ab"), n/2+1)[:n]
		z := Compress(data)
		if len(z) != 13+n+3 || z[4] != 0xe0 {
			t.Fatalf("n=%d: %d-byte frame, descriptor %#x: want a raw frame", n, len(z), z[4])
		}
		var hdr zstd.Header
		if err := hdr.Decode(z); err != nil {
			t.Fatal(err)
		}
		got, ok := rawContent(z, &hdr, nil)
		if !ok || !bytes.Equal(got, data) {
			t.Fatalf("n=%d: rawContent ok=%v equal=%v", n, ok, bytes.Equal(got, data))
		}
	}
	if z := Compress(bytes.Repeat([]byte("ab"), smallMax)); len(z) > 1000 {
		t.Errorf("%d compressible bytes at smallMax and over were not compressed (%d bytes)", 2*smallMax, len(z))
	}
}
