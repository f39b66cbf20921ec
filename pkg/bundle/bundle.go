// Package bundle reads and writes bundles: one file that carries a
// snapshot and everything needed to continue a run from it (its system, the
// system's initial states, its walkers' states and segments; the
// resampler's carried state is inside the snapshot), or its whole history,
// so that a run can move to another machine and go on there with exactly
// the hashes it would have had in place (FORMAT.md §10 is the normative
// description, with a test vector).
//
// A bundle is the 16 bytes "wepipe bundle 1\n", then frames, each a type
// byte, a big-endian 8-byte length and that many bytes: one header frame
// ('H', a deterministic CBOR map), one frame per object ('O': the kind, the
// object's hash and the zstd frame a store file holds), and an end frame
// ('E': the number of objects and the SHA-256 of every byte before it).
// Objects come after everything they reference, except the parents of the
// snapshots the header lists as shallow.
//
// Reading verifies everything before anything lands: every object as a
// store read does (one zstd frame within the size limit, content hashing
// to its name, strict decoding, record invariants, kind), every reference
// (within the bundle, of the right kind), the header, the count and the
// checksum. Lengths are checked against their limits before anything is
// allocated, and buffers grow only with data actually read, so a damaged
// or hostile file costs at most its own size.
package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Magic opens every bundle of this format version.
const Magic = "wepipe bundle 1\n"

// Frame types.
const (
	frameHeader = 'H'
	frameObject = 'O'
	frameEnd    = 'E'
)

// Limits of the frames.
const (
	// MaxHeader bounds the header frame.
	MaxHeader = 1 << 20
	// objectHead is an object frame's kind byte and hash.
	objectHead = 1 + 32
	// endSize is the end frame's payload: count and checksum.
	endSize = 8 + 32
)

// maxObjectFrame bounds an object frame: its head and a store file
// (store.MaxObjectSize, read as a store read reads a file).
func maxObjectFrame() int64 { return objectHead + store.MaxObjectSize }

// Kind codes of object frames.
var kindCode = map[record.Kind]byte{record.KindSystem: 1, record.KindSnapshot: 2, record.KindState: 3, record.KindSegment: 4}

func kindOf(c byte) (record.Kind, bool) {
	for k, x := range kindCode {
		if x == c {
			return k, true
		}
	}
	return "", false
}

// Modes of a bundle.
const (
	// ModeSnapshot: the root snapshot and what it references, without its
	// ancestors (the root is shallow when it has parents).
	ModeSnapshot = "snapshot"
	// ModeHistory: the root snapshot and all its ancestors, with
	// everything they reference.
	ModeHistory = "history"
)

// Header is a bundle's header frame.
type Header struct {
	V uint64 `cbor:"v"`
	// Mode is ModeSnapshot or ModeHistory.
	Mode string `cbor:"mode"`
	// Root is the snapshot the bundle was made for: where a run goes on.
	Root record.Hash `cbor:"root"`
	// Shallow lists the bundle's snapshots whose parents it does not hold:
	// they are marked shallow where the bundle lands (store.MarkShallow).
	Shallow []record.Hash `cbor:"shallow,omitempty"`
}

// Version is the header version this package writes and reads.
const Version = 1

func (h *Header) check() error {
	if h.V != Version {
		return fmt.Errorf("header version %d: this build reads version %d (upgrade wepipe)", h.V, Version)
	}
	if h.Mode != ModeSnapshot && h.Mode != ModeHistory {
		return fmt.Errorf("header mode %q: want %q or %q", h.Mode, ModeSnapshot, ModeHistory)
	}
	seen := map[record.Hash]bool{}
	for _, s := range h.Shallow {
		if seen[s] {
			return fmt.Errorf("header: shallow snapshot %s listed twice", s.Short())
		}
		seen[s] = true
	}
	return nil
}

// Writer writes a bundle: the header, then objects in reference order,
// then Close writes the end frame.
type Writer struct {
	w     *bufio.Writer
	sum   hash.Hash
	count uint64
	err   error
}

// NewWriter writes the magic and the header.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	h.V = Version
	if err := h.check(); err != nil {
		return nil, err
	}
	hb, err := codec.Marshal(&h)
	if err != nil {
		return nil, err
	}
	bw := &Writer{w: bufio.NewWriterSize(w, 1<<20), sum: sha256.New()}
	bw.write([]byte(Magic))
	bw.frame(frameHeader, hb)
	return bw, bw.err
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	w.sum.Write(b)
	_, w.err = w.w.Write(b)
}

func (w *Writer) frame(t byte, payload ...[]byte) {
	var head [9]byte
	head[0] = t
	var n int
	for _, p := range payload {
		n += len(p)
	}
	binary.BigEndian.PutUint64(head[1:], uint64(n))
	w.write(head[:])
	for _, p := range payload {
		w.write(p)
	}
}

// Object writes one object: its kind, hash and zstd frame (a store file's
// bytes). The caller writes objects after what they reference.
func (w *Writer) Object(k record.Kind, h record.Hash, z []byte) error {
	c, ok := kindCode[k]
	if !ok {
		return fmt.Errorf("bundle: unknown kind %q", k)
	}
	w.frame(frameObject, []byte{c}, h[:], z)
	w.count++
	return w.err
}

// Close writes the end frame and flushes; it does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	var end [endSize]byte
	binary.BigEndian.PutUint64(end[:8], w.count)
	copy(end[8:], w.sum.Sum(nil))
	w.frame(frameEnd, end[:])
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

// Count is the number of objects written so far.
func (w *Writer) Count() uint64 { return w.count }

// ErrNotBundle reports a file that does not start with Magic.
var ErrNotBundle = errors.New("not a wepipe bundle")

// Object is one verified object of a bundle.
type Object struct {
	Kind record.Kind
	Hash record.Hash
	Z    []byte // the zstd frame
	Data []byte // the canonical CBOR it holds
	// Parents are a snapshot's parents (nil for other kinds).
	Parents []record.Hash
}

// Info is what a verified bundle holds.
type Info struct {
	Header  Header
	Objects map[record.Kind]int
	Count   uint64
	Bytes   int64 // the bundle's size
	// Sum is the checksum of the end frame: two reads that give the same
	// Sum read the same bytes.
	Sum [32]byte
}

// reader reads frames, hashing every byte it reads.
type reader struct {
	r     *bufio.Reader
	sum   hash.Hash
	n     int64
	frame int
}

func (r *reader) full(b []byte) error {
	k, err := io.ReadFull(r.r, b)
	r.sum.Write(b[:k])
	r.n += int64(k)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("frame %d: truncated (the file ends at byte %d)", r.frame, r.n)
	}
	return err
}

// next reads one frame's type and length, refusing a length above limit
// before reading the payload.
func (r *reader) next(limits map[byte]int64) (byte, int64, error) {
	var head [9]byte
	if err := r.full(head[:]); err != nil {
		return 0, 0, err
	}
	t, n := head[0], binary.BigEndian.Uint64(head[1:])
	limit, ok := limits[t]
	if !ok {
		return 0, 0, fmt.Errorf("frame %d at byte %d: unknown frame type %q", r.frame, r.n-9, t)
	}
	if n > uint64(limit) {
		return 0, 0, fmt.Errorf("frame %d at byte %d: declared length %d exceeds the limit of %d for a %q frame", r.frame, r.n-9, n, limit, t)
	}
	return t, int64(n), nil
}

// payload reads n bytes, growing the buffer only as data arrives.
func (r *reader) payload(n int64) ([]byte, error) {
	var b bytes.Buffer
	if n <= 1<<20 {
		b.Grow(int(n))
	}
	k, err := io.CopyN(&b, r.r, n)
	r.sum.Write(b.Bytes())
	r.n += k
	if err == io.EOF {
		return nil, fmt.Errorf("frame %d: truncated (the file ends at byte %d, within a frame of %d bytes)", r.frame, r.n, n)
	}
	return b.Bytes(), err
}

// Read verifies a whole bundle and calls each, when not nil, with every
// object in order, once it is verified; an error from each stops the
// read. Nothing the bundle says is trusted before it is checked, and the
// end frame is checked last: a caller must not act on the objects before
// Read returns nil.
func Read(r io.Reader, each func(*Object) error) (*Info, error) {
	return read(r, true, each)
}

// read is Read; without full, objects are not decompressed nor decoded
// (Object.Data and Parents are nil), only framed and counted, and the
// checksum computed: a second read of a bundle already verified, which
// compares its Sum with the first's.
func read(r io.Reader, full bool, each func(*Object) error) (*Info, error) {
	br := &reader{r: bufio.NewReaderSize(r, 1<<20), sum: sha256.New()}
	magic := make([]byte, len(Magic))
	if err := br.full(magic); err != nil || string(magic) != Magic {
		return nil, ErrNotBundle
	}
	info := &Info{Objects: map[record.Kind]int{}}
	_, n, err := br.next(map[byte]int64{frameHeader: MaxHeader})
	if err != nil {
		return nil, err
	}
	hb, err := br.payload(n)
	if err != nil {
		return nil, err
	}
	if err := codec.Unmarshal(hb, &info.Header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if err := info.Header.check(); err != nil {
		return nil, err
	}
	shallow := map[record.Hash]bool{}
	for _, s := range info.Header.Shallow {
		shallow[s] = true
	}
	have := map[record.Hash]record.Kind{}
	limits := map[byte]int64{frameObject: maxObjectFrame(), frameEnd: endSize}
	var want []byte
	for {
		br.frame++
		at := br.n
		want = br.sum.Sum(want[:0]) // the checksum the end frame must hold
		t, n, err := br.next(limits)
		if err != nil {
			return nil, err
		}
		if t == frameEnd {
			if n != endSize {
				return nil, fmt.Errorf("end frame of %d bytes, want %d", n, endSize)
			}
			end, err := br.payload(n)
			if err != nil {
				return nil, err
			}
			if c := binary.BigEndian.Uint64(end[:8]); c != info.Count {
				return nil, fmt.Errorf("end frame: %d objects declared, %d read", c, info.Count)
			}
			if !bytes.Equal(end[8:], want) {
				return nil, errors.New("end frame: checksum mismatch: the bundle is damaged")
			}
			copy(info.Sum[:], want)
			var extra [1]byte
			if k, _ := io.ReadFull(br.r, extra[:]); k != 0 {
				return nil, fmt.Errorf("data after the end frame at byte %d", br.n)
			}
			break
		}
		if n < objectHead {
			return nil, fmt.Errorf("frame %d at byte %d: object frame of %d bytes", br.frame, at, n)
		}
		p, err := br.payload(n)
		if err != nil {
			return nil, err
		}
		k, ok := kindOf(p[0])
		if !ok {
			return nil, fmt.Errorf("frame %d at byte %d: unknown object kind %d", br.frame, at, p[0])
		}
		var h record.Hash
		copy(h[:], p[1:objectHead])
		if _, dup := have[h]; dup {
			return nil, fmt.Errorf("frame %d at byte %d: %s %s is in the bundle twice", br.frame, at, k, h.Short())
		}
		var o verified
		if full {
			if o, err = verify(k, h, p[objectHead:]); err != nil {
				return nil, fmt.Errorf("frame %d at byte %d: %s %s: %w", br.frame, at, k, h.Short(), err)
			}
		}
		for _, ref := range refs(o.rec) {
			if ref.kind == record.KindSnapshot && shallow[h] {
				continue // a shallow snapshot's parents are elsewhere
			}
			got, ok := have[ref.to]
			switch {
			case !ok:
				return nil, fmt.Errorf("frame %d at byte %d: %s %s references %s %s, which no earlier frame holds", br.frame, at, k, h.Short(), ref.kind, ref.to.Short())
			case got != ref.kind:
				return nil, fmt.Errorf("frame %d at byte %d: %s %s references %s, a %s, as a %s", br.frame, at, k, h.Short(), ref.to.Short(), got, ref.kind)
			}
		}
		if shallow[h] && k != record.KindSnapshot {
			return nil, fmt.Errorf("header: shallow %s is a %s, not a snapshot", h.Short(), k)
		}
		have[h] = k
		info.Objects[k]++
		info.Count++
		if each != nil {
			obj := &Object{Kind: k, Hash: h, Z: p[objectHead:], Data: o.data}
			if s, ok := o.rec.(*record.Snapshot); ok {
				obj.Parents = s.Parents
			}
			if err := each(obj); err != nil {
				return nil, err
			}
		}
	}
	if k, ok := have[info.Header.Root]; !ok || k != record.KindSnapshot {
		return nil, fmt.Errorf("header: root snapshot %s is not in the bundle", info.Header.Root.Short())
	}
	for _, s := range info.Header.Shallow {
		if _, ok := have[s]; !ok {
			return nil, fmt.Errorf("header: shallow snapshot %s is not in the bundle", s.Short())
		}
	}
	info.Bytes = br.n
	return info, nil
}

type verified struct {
	rec  record.Object
	data []byte
}

// verify checks one object as a store read does.
func verify(k record.Kind, h record.Hash, z []byte) (verified, error) {
	if int64(len(z)) > store.MaxObjectSize {
		return verified{}, fmt.Errorf("file of %d bytes exceeds the object size limit", len(z))
	}
	data, err := store.Decompress(z)
	if err != nil {
		return verified{}, err
	}
	if record.Sum(data) != h {
		return verified{}, store.ErrHashMismatch
	}
	o, err := record.Decode(data)
	if err != nil {
		return verified{}, err
	}
	if o.ObjectKind() != k {
		return verified{}, fmt.Errorf("a %s record in a %s frame", o.ObjectKind(), k)
	}
	return verified{o, data}, nil
}

type ref struct {
	kind record.Kind
	to   record.Hash
}

// refs lists what o references, with the kinds FORMAT.md §5.2 gives.
func refs(o record.Object) []ref {
	var out []ref
	switch o := o.(type) {
	case *record.System:
		for _, in := range o.Initial {
			out = append(out, ref{record.KindState, in.State})
		}
	case *record.Snapshot:
		out = append(out, ref{record.KindSystem, o.System})
		for _, p := range o.Parents {
			out = append(out, ref{record.KindSnapshot, p})
		}
		for _, w := range o.Walkers {
			out = append(out, ref{record.KindState, w.State})
			if w.Segment != nil {
				out = append(out, ref{record.KindSegment, *w.Segment})
			}
		}
	}
	return out
}
