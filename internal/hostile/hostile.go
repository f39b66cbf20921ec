// Package hostile makes the inputs a hostile store holds, for the tests
// that prove readers survive them (FORMAT.md §7: memory stays bounded
// whatever a file claims).
package hostile

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// ZeroBomb returns a zstd frame without a declared content size that
// decompresses to blocks × 64 KiB of zeros, in about 13 bytes per 64 KiB:
// the frame of a streaming encoder (which cannot declare the size) with
// its repeated block copied. blocks must be at least 3.
func ZeroBomb(blocks int) ([]byte, error) {
	if blocks < 3 {
		return nil, errors.New("a zero bomb needs at least 3 blocks")
	}
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1<<20), zstd.WithEncoderCRC(false))
	if err != nil {
		return nil, err
	}
	w.Write(make([]byte, 1<<20))
	w.Close()
	z := buf.Bytes()
	var hdr zstd.Header
	if err := hdr.Decode(z); err != nil || hdr.HasFCS {
		return nil, fmt.Errorf("frame header %+v, %v: want one without a content size", hdr, err)
	}
	// Split the blocks: an RLE block of 64 KiB, then identical compressed
	// blocks of 64 KiB each (a repeat match), then an empty last block.
	// A block header is 3 bytes, little endian: last-block bit, 2 bits of
	// type (1: RLE, whose payload is one byte), 21 bits of size.
	var parts [][]byte
	for p := hdr.HeaderSize; ; {
		h := uint32(z[p]) | uint32(z[p+1])<<8 | uint32(z[p+2])<<16
		n := int(h >> 3)
		if (h>>1)&3 == 1 {
			n = 1
		}
		parts = append(parts, z[p:p+3+n])
		p += 3 + n
		if h&1 == 1 {
			break
		}
	}
	if len(parts) < 5 || !bytes.Equal(parts[2], parts[3]) {
		return nil, fmt.Errorf("the encoder's frame of zeros has changed shape (%d blocks); the bomb needs rebuilding", len(parts))
	}
	out := append([]byte(nil), z[:hdr.HeaderSize]...)
	out = append(out, parts[0]...)
	out = append(out, parts[1]...)
	for range blocks - 2 {
		out = append(out, parts[2]...)
	}
	return append(out, parts[len(parts)-1]...), nil
}
