package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
)

// The encoder's level is SpeedFastest: on the objects a run writes it
// compresses exactly as well as SpeedDefault (measured: a 100,000-atom
// state stays at ratio 1.000 under both, since random mantissas are
// incompressible, and a 48-walker snapshot reaches 0.541 under both) while
// compressing a state about 1.5× faster. EncodeAll is safe for concurrent
// use. Single-segment frames always declare their content size (the
// library omits it below 256 bytes otherwise), so that readers can size
// their buffer exactly and refuse oversized objects before decoding
// (FORMAT.md §1: writers write the size). It is made on first use: most
// processes write only small objects, which are stored raw.
var encoder = sync.OnceValue(func() *zstd.Encoder {
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(true), zstd.WithSingleSegment(true))
	if err != nil {
		panic(err)
	}
	return e
})

// limitedDecoder is a zstd decoder whose output is bounded by limit.
type limitedDecoder struct {
	limit int64
	d     *zstd.Decoder
}

var decoder atomic.Pointer[limitedDecoder]

// decoderFor returns a decoder that refuses to produce more than limit
// bytes (and windows larger than that). MaxObjectSize is a variable, so the
// decoder is rebuilt when it changes; DecodeAll is safe for concurrent use.
func decoderFor(limit int64) (*zstd.Decoder, error) {
	if d := decoder.Load(); d != nil && d.limit == limit {
		return d.d, nil
	}
	d, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(uint64(limit)), zstd.WithDecoderMaxWindow(maxWindow))
	if err != nil {
		return nil, err
	}
	decoder.Store(&limitedDecoder{limit, d})
	return d, nil
}

// compressBound bounds the size of the zstd frame of n bytes: at worst
// raw blocks, 3 bytes of header per 128 KiB block, plus the frame header
// and checksum.
func compressBound(n int) int { return n + n>>7 + 64 }

// Compress returns the zstd frame a store file holds for data.
func Compress(data []byte) []byte {
	return compressTo(make([]byte, 0, compressBound(len(data))), data)
}

// rawMin is the size from which content that does not compress is stored
// in raw blocks (below, the search is cheap and small objects compress).
const rawMin = 1 << 20

// smallMax is the size below which content is stored in raw blocks
// without trying to compress it. A zstd encoder's first use in a process
// allocates and clears about 600 KB of tables and buffers, 0.3 ms on this
// project's reference machine: more than compressing a small object can
// ever save in writing it. we-step and we-resample are short-lived
// processes that write a few small objects each (a 48-walker lj-pair
// snapshot is 4 KB of CBOR, its states 234 bytes, which zstd makes 247),
// so compressing them cost 0.6 ms of a 10 ms cycle to save 1.8 KB. Larger
// snapshots (over about 200 walkers) and systems are compressed.
const smallMax = 16 << 10

// compressTo appends data's zstd frame to dst. Positions and velocities
// have random low mantissa bits and do not compress (ratio 1.000 on a
// 100,000-atom state); the encoder would spend half of a Put searching
// for matches and then store raw blocks anyway. So a large object whose
// middle 64 KiB do not shrink by 1/32 is written directly as a frame of
// raw blocks (RFC 8878 §3.1.1.2): the same format any zstd reader reads,
// with the content size declared and no content checksum — the SHA-256
// that names the object verifies every read.
func compressTo(dst, data []byte) []byte {
	if len(data) < smallMax || len(data) >= rawMin && !compressible(data) {
		return appendRawFrame(dst, data)
	}
	return encoder().EncodeAll(data, dst)
}

func compressible(data []byte) bool {
	const probe = 64 << 10
	p := data[len(data)/2 : len(data)/2+probe]
	zb := getBuf(compressBound(probe))
	defer putBuf(zb)
	return len(encoder().EncodeAll(p, (*zb)[:0])) < probe-probe/32
}

// appendRawFrame appends a zstd frame holding data in raw blocks: magic
// number, a frame header descriptor 0xE0 (8-byte content size, single
// segment, no checksum, no dictionary), the content size, then blocks of
// at most 128 KiB, each behind a 3-byte little-endian header
// (last-block bit, block type 0 = raw, size << 3).
func appendRawFrame(dst, data []byte) []byte {
	const maxBlock = 128 << 10
	dst = append(dst, 0x28, 0xb5, 0x2f, 0xfd, 0xe0)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(data)))
	for {
		n := min(len(data), maxBlock)
		h := uint32(n) << 3
		if n == len(data) {
			h |= 1
		}
		dst = append(dst, byte(h), byte(h>>8), byte(h>>16))
		dst = append(dst, data[:n]...)
		data = data[n:]
		if len(data) == 0 {
			return dst
		}
	}
}

// Decompress decodes one store file's zstd frame (FORMAT.md §1.1):
// exactly one frame and nothing after it, at most MaxObjectSize bytes of
// content, decoded into a buffer of its size, never grown (frame.go).
func Decompress(z []byte) ([]byte, error) {
	c, err := decompress(z, false)
	if err != nil {
		return nil, err
	}
	out := c.data
	c.release()
	return out, nil
}

// rawContent returns the content of a frame that holds only raw and RLE
// blocks (as the store writes small and incompressible objects) without
// the zstd decoder, whose first use in a process costs more than reading
// a small state. It reports false for anything else — compressed blocks,
// a checksum, a dictionary, no declared size, a block over 128 KiB, a size
// that does not add up, data after the frame — which the decoder then
// decodes or refuses. The content is appended to dst. FuzzRawContent
// checks it against the decoder.
func rawContent(z []byte, hdr *zstd.Header, dst []byte) ([]byte, bool) {
	if hdr.Skippable || hdr.HasCheckSum || hdr.DictionaryID != 0 || !hdr.HasFCS || !hdr.SingleSegment || hdr.HeaderSize <= 0 || hdr.HeaderSize > len(z) {
		return nil, false
	}
	n := hdr.FrameContentSize
	out := dst[:0]
	if out == nil {
		// Raw blocks hold their content, so the input bounds what to
		// allocate whatever size the header declares; RLE blocks grow it.
		out = make([]byte, 0, min(n, uint64(len(z))))
	}
	for p := hdr.HeaderSize; ; {
		if len(z)-p < 3 {
			return nil, false
		}
		h := uint32(z[p]) | uint32(z[p+1])<<8 | uint32(z[p+2])<<16
		p += 3
		last, typ, size := h&1 == 1, (h>>1)&3, int(h>>3)
		if size > maxBlock || uint64(len(out)+size) > n {
			return nil, false
		}
		switch typ {
		case 0: // raw
			if len(z)-p < size {
				return nil, false
			}
			out = append(out, z[p:p+size]...)
			p += size
		case 1: // RLE
			if len(z)-p < 1 {
				return nil, false
			}
			for range size {
				out = append(out, z[p])
			}
			p++
		default:
			return nil, false
		}
		if last {
			return out, p == len(z) && uint64(len(out)) == n
		}
	}
}

// Buffers of large objects are pooled: a 100,000-atom state is 4.8 MB and
// allocating fresh memory for each file read or written costs more than
// the copy itself.
var bufPool sync.Pool // of *[]byte

// pooledMin is the size below which buffers are simply allocated.
const pooledMin = 64 << 10

func getBuf(n int) *[]byte {
	if n >= pooledMin {
		if p, ok := bufPool.Get().(*[]byte); ok {
			if cap(*p) >= n {
				*p = (*p)[:n]
				return p
			}
		}
	}
	b := make([]byte, n)
	return &b
}

func putBuf(p *[]byte) {
	if cap(*p) >= pooledMin {
		bufPool.Put(p)
	}
}

// parallelMin is the size from which hashing runs beside compression or
// decoding: below it a goroutine costs more than it saves.
const parallelMin = 256 << 10

// CorruptError reports an object file whose content is not what its name
// promises.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt object %s: %v (run we-fsck; a good copy can be merged back with we-merge --from)", e.Path, e.Err)
}
func (e *CorruptError) Unwrap() error { return e.Err }

// ErrHashMismatch reports bytes that do not hash to their name.
var ErrHashMismatch = errors.New("content does not hash to the object's name")

// Get reads object h, verifies it as Load does and returns its canonical
// CBOR bytes and kind.
func (s *Store) Get(h record.Hash) ([]byte, record.Kind, error) {
	k, err := s.Kind(h)
	if err != nil {
		return nil, "", err
	}
	data, err := s.GetKind(k, h)
	return data, k, err
}

// GetKind reads object h of kind k, verifies it as Load does (a record
// of another kind in k's directory is corrupt) and returns its canonical
// CBOR bytes.
func (s *Store) GetKind(k record.Kind, h record.Hash) ([]byte, error) {
	c, p, err := s.read(k, h, false)
	if err != nil {
		return nil, err
	}
	defer c.release()
	if _, err := verifyDecode(c.data, k, h); err != nil {
		return nil, &CorruptError{p, err}
	}
	return c.data, nil
}

// Verify reads object h of kind k and checks it as Load does, without
// keeping the record.
func (s *Store) Verify(k record.Kind, h record.Hash) error {
	_, err := s.load(k, h)
	return err
}

// tooLargeError is readSized's refusal of a file over the size limit.
type tooLargeError struct{ size int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("file of %d bytes exceeds the object size limit", e.size)
}

// read is the single read path of object files: it reads object h of kind
// k (never following a symbolic link, never blocking on a FIFO or a
// device: readSized) and decompresses it strictly (decompress), returning
// its content, not yet verified, and the file's path. With pooled, the
// content may be in a pooled buffer; the caller releases the content once
// it no longer needs it: decoders copy what they keep, as the
// cbor.Unmarshaler contract requires. Every reader of objects goes through
// read, then verifyDecode.
func (s *Store) read(k record.Kind, h record.Hash, pooled bool) (content, string, error) {
	p := s.Path(k, h)
	zb, err := readSized(p, MaxObjectSize)
	if errors.Is(err, os.ErrNotExist) {
		// Not loose: in a pack, if anywhere (pack.go; a loose copy wins).
		if c, pp, perr := s.readPacked(packCode(k), h); !errors.Is(perr, ErrNotFound) {
			return c, pp, perr
		}
		return content{}, p, s.notFound(k, h)
	}
	if err != nil {
		return content{}, p, fileError(k, h, p, err)
	}
	defer zb.release()
	c, err := decompress(zb.b, pooled)
	if err != nil {
		return content{}, p, &CorruptError{p, err}
	}
	return c, p, nil
}

// fileError is the error of reading object h's file p: not found, or the
// file is corrupt (too large, not a regular file, unreadable).
func fileError(k record.Kind, h record.Hash, p string, err error) error {
	var tooLarge *tooLargeError
	var perr *os.PathError
	switch {
	case errors.Is(err, ErrNotRegular):
		if errors.As(err, &perr) {
			err = perr.Err // the path is the CorruptError's
		}
		return &CorruptError{p, err}
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s %s: %w", k, h.Short(), ErrNotFound)
	case errors.As(err, &tooLarge):
		return &CorruptError{p, err}
	case errors.As(err, &perr) && perr.Op == "read":
		return &CorruptError{p, fmt.Errorf("read: %w", perr.Err)}
	}
	return err
}

// load reads, verifies and decodes object h of kind k.
func (s *Store) load(k record.Kind, h record.Hash) (record.Object, error) {
	c, p, err := s.read(k, h, true)
	if err != nil {
		return nil, err
	}
	o, err := verifyDecode(c.data, k, h)
	c.release()
	if err != nil {
		return nil, &CorruptError{p, err}
	}
	return o, nil
}

// verifyDecode checks that data hashes to h and decodes it as a valid
// record of kind k. For a large object the hash is computed while the
// record decodes (two cores): decoding unverified bytes is safe, since the
// decoder is strict and bounded anyway, and the record is returned only if
// both succeed.
func verifyDecode(data []byte, k record.Kind, h record.Hash) (record.Object, error) {
	var (
		o   record.Object
		err error
		sum record.Hash
	)
	if len(data) >= parallelMin {
		done := make(chan struct{})
		go func() {
			sum = record.Sum(data)
			close(done)
		}()
		o, err = record.Decode(data)
		<-done
	} else if sum = record.Sum(data); sum == h {
		o, err = record.Decode(data)
	}
	if sum != h {
		return nil, ErrHashMismatch
	}
	if err != nil {
		return nil, err
	}
	if o.ObjectKind() != k {
		return nil, fmt.Errorf("a %s record in the %s directory", o.ObjectKind(), k)
	}
	return o, nil
}

// Load reads, verifies and decodes object h. The record's kind must match
// the directory it was found in.
func (s *Store) Load(h record.Hash) (record.Object, error) {
	k, err := s.Kind(h)
	if err != nil {
		return nil, err
	}
	return s.load(k, h)
}

// LoadAs reads object h and checks that it is of the type T.
func LoadAs[T record.Object](s *Store, h record.Hash) (T, error) {
	var zero T
	k := zero.ObjectKind()
	o, err := s.load(k, h)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			if other, kerr := s.Kind(h); kerr == nil {
				return zero, fmt.Errorf("object %s is a %s, not a %s", h.Short(), other, k)
			}
		}
		return zero, err
	}
	t, ok := o.(T)
	if !ok {
		return zero, &CorruptError{s.Path(k, h), fmt.Errorf("decoded as %T, want %T", o, zero)}
	}
	return t, nil
}

// Item is one encoded object to write.
type Item struct {
	Kind record.Kind
	Data []byte // canonical CBOR
	Hash record.Hash
	// Z optionally holds Data already compressed (a verified file copied
	// from another store); PutItems then writes it as it is.
	Z []byte
}

// NewItem encodes and validates o.
func NewItem(o record.Object) (Item, error) {
	b, h, err := record.Encode(o)
	if err != nil {
		return Item{}, err
	}
	return Item{Kind: o.ObjectKind(), Data: b, Hash: h}, nil
}

// encode is record.Encode without the hash, validating while it encodes:
// both only read o. The error messages are record.Encode's.
func encode(o record.Object) ([]byte, error) {
	k := o.ObjectKind()
	var verr error
	done := make(chan struct{})
	go func() {
		verr = o.Validate()
		close(done)
	}()
	data, err := codec.Marshal(o)
	<-done
	if verr != nil {
		return nil, fmt.Errorf("%s: %w", k, verr)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", k, err)
	}
	return data, nil
}

// Put encodes o, checks that every object it references exists, and writes
// it. It returns the object's hash. Writing an object that exists is a
// no-op that leaves its file untouched.
func (s *Store) Put(o record.Object) (record.Hash, error) {
	k := o.ObjectKind()
	data, err := encode(o)
	if err != nil {
		return record.Hash{}, err
	}
	if err := s.CheckRefs(o); err != nil {
		return record.Sum(data), err
	}
	if len(data) < parallelMin {
		it := Item{Kind: k, Data: data, Hash: record.Sum(data)}
		return it.Hash, s.PutItems([]Item{it})
	}
	return s.putLarge(k, data)
}

// putLarge writes one large object, hashing it on one core while the other
// compresses it and writes and fsyncs the temp file. The hash is known only
// at the end, so an object that turns out to exist costs a temp file that
// is removed; its own file is never touched.
func (s *Store) putLarge(k record.Kind, data []byte) (record.Hash, error) {
	if err := s.ensureKind(k); err != nil {
		return record.Hash{}, err
	}
	var h record.Hash
	done := make(chan struct{})
	go func() {
		h = record.Sum(data)
		close(done)
	}()
	zb := getBuf(compressBound(len(data)))
	z := compressTo((*zb)[:0], data)
	tmp, err := writeTemp(filepath.Join(s.dir, tmpDir), "put", z, !fsyncOff)
	putBuf(zb)
	<-done
	if err != nil {
		return h, fmt.Errorf("write %s %s: %w", k, h.Short(), err)
	}
	dst := s.Path(k, h)
	moved, err := renameNew(tmp, dst)
	if err == nil && !moved {
		err = s.keepOrReplace(k, h, tmp)
	}
	if err != nil || !moved {
		os.Remove(tmp)
	}
	if err != nil {
		return h, fmt.Errorf("write %s %s: %w", k, h.Short(), err)
	}
	if !moved {
		return h, nil
	}
	if fsyncOff {
		return h, nil
	}
	return h, syncDir(filepath.Dir(dst))
}

// CheckRefs verifies that every object o references is in the store, as
// the kind the reference names: an object is written only after everything
// it references exists. A missing reference's error wraps ErrNotFound.
func (s *Store) CheckRefs(o record.Object) error { return s.checkRefs(o, nil) }

// checkRefs is CheckRefs, trusting the references in written to exist.
func (s *Store) checkRefs(o record.Object, written map[record.Hash]bool) error {
	type kh struct {
		k record.Kind
		h record.Hash
	}
	seen := map[kh]bool{}
	for _, r := range typedRefs(o) {
		if seen[kh{r.kind, r.to}] || written[r.to] {
			continue
		}
		seen[kh{r.kind, r.to}] = true
		if r.kind != "" && s.Has(r.kind, r.to) {
			continue
		}
		other, err := s.Kind(r.to)
		switch {
		case err != nil:
			return fmt.Errorf("%s %s references %s, which is %w", o.ObjectKind(), r.what(), r.to.Short(), ErrNotFound)
		case r.kind != "" && other != r.kind:
			return fmt.Errorf("%s %s references %s, which is a %s, not a %s", o.ObjectKind(), r.what(), r.to.Short(), other, r.kind)
		}
	}
	return nil
}

// syncfsMin is the number of new objects in a batch above which PutItems
// makes their data durable with one syncfs(2) instead of one fsync each.
const syncfsMin = 4

// fsyncOff disables every fsync and syncfs, so that benchmarks can tell
// the cost of durability from the rest. Only benchmarks set it.
var fsyncOff = false

// PutItems writes a batch of verified items durably, with the guarantees
// of a Batch: the content of every new object is durable before its name
// appears, and the names are durable before PutItems returns. Objects
// already present (or repeated in the batch) are left untouched. The
// items get their names in no particular order; an object that references
// another item of the batch needs PutLayers.
func (s *Store) PutItems(items []Item) error { return s.PutLayers(items) }

// PutLayers is PutItems for objects that reference each other: the
// objects of a layer get their names only after every object of the
// earlier layers is durable under its own, so that a crash never leaves a
// name whose references are missing — on file systems without a journal
// too, where renames reach the disk in any order. The content of all
// layers is made durable by one barrier (one syncfs, or one fsync per
// file), and each layer's renames by one fsync per directory.
func (s *Store) PutLayers(layers ...[]Item) error {
	var all []Item
	var layerOf []int
	for l, items := range layers {
		all = append(all, items...)
		for range items {
			layerOf = append(layerOf, l)
		}
	}
	b := s.newBatch(len(all) > syncfsMin)
	defer b.Abort()
	errs := make([]error, len(all))
	// Compression needs a core per worker; fsyncs wait on the device, and
	// more of them in flight share its flushes.
	workers := runtime.GOMAXPROCS(0)
	if b.eager {
		workers = max(workers, 8)
	}
	parallelFor(len(all), workers, func(i int) { errs[i] = b.Add(layerOf[i], all[i]) })
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return b.Commit()
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// parallelFor calls f(0) … f(n-1) on up to workers goroutines.
func parallelFor(n, workers int, f func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// PutRaw writes compressed bytes as received from another store after
// verifying them as a read does: one zstd frame within the limits, whose
// content hashes to h and decodes as a valid record of kind k.
func (s *Store) PutRaw(k record.Kind, h record.Hash, z []byte) error {
	c, err := decompress(z, false)
	if err != nil {
		return fmt.Errorf("%s %s: %w", k, h.Short(), err)
	}
	_, err = verifyDecode(c.data, k, h)
	if err != nil {
		if o, derr := record.Decode(c.data); derr == nil && o.ObjectKind() != k {
			err = fmt.Errorf("a %s record where a %s was expected", o.ObjectKind(), k)
		}
	}
	// Released before the write, which may read the file it finds under
	// the name (keepOrReplace): a read never waits for memory while it
	// holds some.
	c.release()
	if err != nil {
		return fmt.Errorf("%s %s: %w", k, h.Short(), err)
	}
	return s.PutItems([]Item{{Kind: k, Hash: h, Z: z}})
}

// tmpName is a fresh temp file name in dir; the suffix ".tmp" is what
// Check recognises as a temp file.
func tmpName(dir, prefix string) string {
	var rnd [8]byte
	rand.Read(rnd[:])
	return filepath.Join(dir, prefix+"-"+hex.EncodeToString(rnd[:])+".tmp")
}

// writeTemp writes z to a new read-only temp file in dir, fsyncing it if
// durable, and returns its name.
func writeTemp(dir, prefix string, z []byte, durable bool) (string, error) {
	tmp := tmpName(dir, prefix)
	if err := createFile(tmp, z, 0o444, durable); err != nil {
		return "", err
	}
	return tmp, nil
}

// writeAtomic writes a small file via a temp file in tmpdir and a rename.
func writeAtomic(tmpdir, dst string, b []byte, durable bool) error {
	tmp := tmpName(tmpdir, "w")
	if err := createFile(tmp, b, 0o644, durable); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	if durable {
		return syncDir(filepath.Dir(dst))
	}
	return nil
}

// ReadFile returns the raw (compressed) bytes of object h of kind k, not
// verified; like every read, it refuses a file that is not a regular one
// and never blocks on one.
func (s *Store) ReadFile(k record.Kind, h record.Hash) ([]byte, error) {
	zb, err := readSized(s.Path(k, h), MaxObjectSize)
	if errors.Is(err, os.ErrNotExist) {
		// A packed object is given as the file a loose copy would be,
		// after its hash is checked (readPacked).
		c, _, perr := s.readPacked(packCode(k), h)
		if errors.Is(perr, ErrNotFound) {
			return nil, s.notFound(k, h)
		}
		if perr != nil {
			return nil, perr
		}
		return Compress(c.data), nil
	}
	if err != nil {
		return nil, fileError(k, h, s.Path(k, h), err)
	}
	defer zb.release()
	return append([]byte(nil), zb.b...), nil
}

// Memo returns the hashes stored under key (see PutMemo), if the entry is
// intact and every object it names exists. Memo entries are caches that
// make stages memoisable and resumable: a missing, damaged or dangling
// entry is a miss, never an error. An entry of no hashes is a hit with an
// empty list. Memo does not read the objects: a stage that takes a memo
// hit as its result uses VerifiedMemo.
func (s *Store) Memo(key [32]byte) ([]record.Hash, bool) {
	out, ok := s.memoHashes(key)
	if !ok {
		return nil, false
	}
	for _, h := range out {
		if _, err := s.Kind(h); err != nil {
			return nil, false
		}
	}
	return out, true
}

// memoHashes parses memo entry key: exactly what PutMemo writes, hashes
// separated by one space and ended by a line feed, so any other byte means
// damage (a miss).
func (s *Store) memoHashes(key [32]byte) ([]record.Hash, bool) {
	b, ok := s.memoBytes(key)
	if !ok || !bytes.HasSuffix(b, []byte("\n")) {
		return nil, false
	}
	line := b[:len(b)-1]
	if len(line) == 0 {
		return []record.Hash{}, true
	}
	if (len(line)+1)%65 != 0 {
		return nil, false
	}
	out := make([]record.Hash, (len(line)+1)/65)
	for i := range out {
		f := line[65*i : 65*i+64]
		if i < len(out)-1 && line[65*i+64] != ' ' {
			return nil, false
		}
		h, err := record.ParseHash(string(f))
		if err != nil || h.String() != string(f) {
			return nil, false
		}
		out[i] = h
	}
	return out, true
}

// memoPath is the file of memo entry key.
func (s *Store) memoPath(key [32]byte) string {
	return filepath.Join(s.dir, memoDir, hex.EncodeToString(key[:]))
}

// PutMemo records that the computation named by key produced the objects
// hs. Call it only after they are durably in the store. The entry itself
// is not fsynced: losing it after a crash costs a recomputation only.
func (s *Store) PutMemo(key [32]byte, hs ...record.Hash) error {
	var b []byte
	for i, h := range hs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, h.String()...)
	}
	b = append(b, '\n')
	return s.WriteMemo(key, b)
}

// MemoKey hashes the parts that identify a computation.
func MemoKey(parts ...string) [32]byte {
	hh := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(hh, "%d:%s;", len(p), p)
	}
	var k [32]byte
	copy(k[:], hh.Sum(nil))
	return k
}

// renameNewStat is renameNew by a lookup and a rename. Two writers racing
// on one object may both rename; both files hold the same bytes, so a
// reader sees whole content either way.
func renameNewStat(tmp, dst string) (bool, error) {
	if _, err := os.Lstat(dst); err == nil {
		return false, nil
	}
	if err := os.Rename(tmp, dst); err != nil {
		return false, err
	}
	return true, nil
}
