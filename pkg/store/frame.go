package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// Every object's stored bytes are read through decompress (FORMAT.md
// §1.1): exactly one zstd frame, nothing after it, at most MaxObjectSize
// bytes of content, and never more memory than the content: its size is
// known before its buffer is allocated, and the buffer never grows. The
// read path is readSized (a file, never followed through a link nor waited
// on), then decompress, then verifyDecode (hash, strict decoding, kind):
// an object kept anywhere else (a pack) goes through the last two.

const (
	// maxBlock is a zstd block's largest content (Block_Maximum_Size,
	// RFC 8878 §3.1.1.2.3).
	maxBlock = 128 << 10
	// maxWindow is the largest window accepted in a frame that is not a
	// single segment: zstd's own default limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT
	// = 27, what `zstd -d` accepts without --memory). RFC 8878 §3.1.1.1.2
	// recommends decoders to support at least 8 MiB.
	maxWindow = 128 << 20
	// overAlloc is the slack the decoder wants past the content (its
	// compressedBlockOverAlloc).
	overAlloc = 32
)

// frameInfo is what a zstd frame's headers say, read without decoding it.
type frameInfo struct {
	hdr zstd.Header
	// bound is an upper bound of the content's size: raw and RLE blocks
	// hold the size their headers declare, a compressed block at most
	// maxBlock bytes.
	bound uint64
	// exact: only raw and RLE blocks, so bound is the content's size.
	exact bool
}

// walkFrame checks that z is exactly one zstd frame — the magic number, a
// frame header, blocks up to the one marked last, the content checksum if
// the header announces one, and not a byte more — by reading the block
// headers only (RFC 8878 §3.1.1), and bounds the content's size.
func walkFrame(z []byte) (frameInfo, error) {
	var f frameInfo
	if err := f.hdr.Decode(z); err != nil {
		return f, fmt.Errorf("not a zstd frame: %w", err)
	}
	if f.hdr.Skippable {
		return f, fmt.Errorf("not a zstd frame: a skippable frame (%d bytes of data that are not an object)", f.hdr.SkippableSize)
	}
	if f.hdr.HeaderSize <= 0 || f.hdr.HeaderSize > len(z) {
		return f, errors.New("not a zstd frame: truncated header")
	}
	if !f.hdr.SingleSegment && f.hdr.WindowSize > maxWindow {
		return f, fmt.Errorf("zstd: frame window of %d bytes, over the limit of %d", f.hdr.WindowSize, maxWindow)
	}
	f.exact = true
	p := f.hdr.HeaderSize
	for {
		if len(z)-p < 3 {
			return f, errors.New("zstd: frame truncated (a block header is missing)")
		}
		h := uint32(z[p]) | uint32(z[p+1])<<8 | uint32(z[p+2])<<16
		p += 3
		last, typ, size := h&1 == 1, (h>>1)&3, int(h>>3)
		if size > maxBlock {
			return f, fmt.Errorf("zstd: block of %d bytes, over the limit of %d", size, maxBlock)
		}
		stored := size
		switch typ {
		case 0: // raw
			f.bound += uint64(size)
		case 1: // RLE: one byte, repeated size times
			f.bound += uint64(size)
			stored = 1
		case 2: // compressed
			f.bound += maxBlock
			f.exact = false
		default:
			return f, errors.New("zstd: reserved block type")
		}
		if len(z)-p < stored {
			return f, errors.New("zstd: frame truncated (a block is cut short)")
		}
		p += stored
		if last {
			break
		}
	}
	if f.hdr.HasCheckSum {
		if len(z)-p < 4 {
			return f, errors.New("zstd: frame truncated (the checksum is missing)")
		}
		p += 4
	}
	if p != len(z) {
		return f, fmt.Errorf("%d bytes after the zstd frame (an object file is exactly one frame)", len(z)-p)
	}
	return f, nil
}

// content is an object's decompressed content in memory; release it once
// the content is no longer used.
type content struct {
	data []byte
	buf  *[]byte // the pooled buffer holding data, or nil
	held int64   // bytes of contentMem held
}

func (c *content) release() {
	if c.buf != nil {
		putBuf(c.buf)
		c.buf = nil
	}
	contentMem.release(c.held)
	c.held = 0
	c.data = nil
}

// decompress decodes the zstd frame z of a store file (see the top of this
// file). With pooled, a large content goes to a pooled buffer. The content
// holds contentMem until released.
func decompress(z []byte, pooled bool) (content, error) {
	limit := uint64(MaxObjectSize)
	f, err := walkFrame(z)
	if err != nil {
		return content{}, err
	}
	n := f.bound
	switch {
	case f.hdr.HasFCS:
		if f.hdr.FrameContentSize > limit {
			return content{}, fmt.Errorf("frame declares %d decompressed bytes, over the limit of %d", f.hdr.FrameContentSize, limit)
		}
		if f.hdr.FrameContentSize > f.bound || f.exact && f.hdr.FrameContentSize != f.bound {
			return content{}, fmt.Errorf("zstd: frame declares %d bytes, its blocks hold %d", f.hdr.FrameContentSize, f.bound)
		}
		n = f.hdr.FrameContentSize
	case f.exact:
		if n > limit {
			return content{}, fmt.Errorf("decompressed size exceeds the limit of %d bytes", limit)
		}
	default:
		// No declared size and compressed blocks: the bound may be twice
		// the content (encoders that write 64 KiB blocks) or far more (a
		// bomb). Count the content first, keeping only the window, then
		// decode into a buffer of its size. Such frames come from other
		// writers only (ours declare the size), so the second pass is rare.
		if n, err = countContent(z, f.hdr.WindowSize); err != nil {
			return content{}, err
		}
	}
	// The content is at most n bytes; a block may overshoot a declared
	// size by at most maxBlock before the decoder notices, which the
	// buffer leaves room for rather than growing.
	size := n + min(f.bound-n, maxBlock) + overAlloc
	c := content{held: contentMem.acquire(int64(size))}
	var dst []byte
	if pooled && size >= pooledMin {
		c.buf = getBuf(int(size))
		dst = (*c.buf)[:0]
	} else {
		dst = make([]byte, 0, size)
	}
	if out, ok := rawContent(z, &f.hdr, dst); ok {
		c.data = out
		return c, nil
	}
	d, err := decoderFor(MaxObjectSize)
	if err != nil {
		c.release()
		return content{}, err
	}
	out, err := d.DecodeAll(z, dst)
	tooMuch := errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrFrameSizeExceeded) || err == nil && uint64(len(out)) > n
	switch {
	case tooMuch && f.hdr.HasFCS:
		err = fmt.Errorf("zstd: frame holds more than the %d bytes it declares", n)
	case tooMuch:
		err = fmt.Errorf("decompressed size exceeds the limit of %d bytes", limit)
	case err != nil:
		err = fmt.Errorf("zstd: %w", err)
	}
	if err != nil {
		c.release()
		return content{}, err
	}
	c.data = out
	return c, nil
}

// countContent returns the size of the content of the frame z (whose
// window is window bytes) by decoding it into nothing, stopping past
// MaxObjectSize. It holds contentMem for the window meanwhile.
func countContent(z []byte, window uint64) (uint64, error) {
	limit := MaxObjectSize
	held := contentMem.acquire(int64(min(window, uint64(limit))) + 2*maxBlock)
	defer contentMem.release(held)
	d, err := zstd.NewReader(bytes.NewReader(z), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(uint64(limit)), zstd.WithDecoderMaxWindow(maxWindow))
	if err != nil {
		return 0, err
	}
	defer d.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(d, limit+1))
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) || err == nil && n > limit:
		return 0, fmt.Errorf("decompressed size exceeds the limit of %d bytes", limit)
	case err != nil:
		return 0, fmt.Errorf("zstd: %w", err)
	}
	return uint64(n), nil
}
