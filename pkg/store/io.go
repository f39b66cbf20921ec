package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/wepipe/wepipe/pkg/record"
)

var (
	encoder *zstd.Encoder
	decoder *zstd.Decoder
)

func init() {
	var err error
	// EncodeAll and DecodeAll are safe for concurrent use.
	encoder, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(true))
	if err != nil {
		panic(err)
	}
	decoder, err = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(uint64(MaxObjectSize)), zstd.WithDecodeAllCapLimit(true))
	if err != nil {
		panic(err)
	}
}

// Compress returns the zstd frame a store file holds for data.
func Compress(data []byte) []byte {
	return encoder.EncodeAll(data, make([]byte, 0, len(data)/2+64))
}

// Decompress decodes one store file's zstd frame, refusing frames that
// would decompress beyond MaxObjectSize.
func Decompress(z []byte) ([]byte, error) {
	var hdr zstd.Header
	if err := hdr.Decode(z); err != nil {
		return nil, fmt.Errorf("not a zstd frame: %w", err)
	}
	size := int64(MaxObjectSize)
	if hdr.HasFCS {
		if hdr.FrameContentSize > uint64(MaxObjectSize) {
			return nil, fmt.Errorf("decompressed size %d exceeds the limit of %d bytes", hdr.FrameContentSize, MaxObjectSize)
		}
		size = int64(hdr.FrameContentSize)
	} else if int64(len(z))*64 < size {
		// Without a declared size, grow as needed but never past the limit.
		size = int64(len(z)) * 4
	}
	out, err := decoder.DecodeAll(z, make([]byte, 0, size))
	if err != nil {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			return nil, fmt.Errorf("decompressed size exceeds the limit of %d bytes", MaxObjectSize)
		}
		return nil, fmt.Errorf("zstd: %w", err)
	}
	if hdr.HasFCS && uint64(len(out)) != hdr.FrameContentSize {
		return nil, fmt.Errorf("zstd: frame declares %d bytes, holds %d", hdr.FrameContentSize, len(out))
	}
	return out, nil
}

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

// Get reads object h, verifies its hash and returns its canonical CBOR
// bytes and kind.
func (s *Store) Get(h record.Hash) ([]byte, record.Kind, error) {
	k, err := s.Kind(h)
	if err != nil {
		return nil, "", err
	}
	data, err := s.GetKind(k, h)
	return data, k, err
}

// GetKind reads object h of kind k and verifies it.
func (s *Store) GetKind(k record.Kind, h record.Hash) ([]byte, error) {
	p := s.Path(k, h)
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s %s: %w", k, h.Short(), ErrNotFound)
		}
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxObjectSize {
		return nil, &CorruptError{p, fmt.Errorf("file of %d bytes exceeds the object size limit", st.Size())}
	}
	z := make([]byte, st.Size())
	if _, err := io.ReadFull(f, z); err != nil {
		return nil, &CorruptError{p, fmt.Errorf("read: %w", err)}
	}
	data, err := Decompress(z)
	if err != nil {
		return nil, &CorruptError{p, err}
	}
	if record.Sum(data) != h {
		return nil, &CorruptError{p, ErrHashMismatch}
	}
	return data, nil
}

// Load reads, verifies and decodes object h. The record's kind must match
// the directory it was found in.
func (s *Store) Load(h record.Hash) (record.Object, error) {
	data, k, err := s.Get(h)
	if err != nil {
		return nil, err
	}
	o, err := record.Decode(data)
	if err != nil {
		return nil, &CorruptError{s.Path(k, h), err}
	}
	if o.ObjectKind() != k {
		return nil, &CorruptError{s.Path(k, h), fmt.Errorf("a %s record in the %s directory", o.ObjectKind(), k)}
	}
	return o, nil
}

// LoadAs reads object h and checks that it is of the type T.
func LoadAs[T record.Object](s *Store, h record.Hash) (T, error) {
	var zero T
	k := zero.ObjectKind()
	data, err := s.GetKind(k, h)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			if other, kerr := s.Kind(h); kerr == nil {
				return zero, fmt.Errorf("object %s is a %s, not a %s", h.Short(), other, k)
			}
		}
		return zero, err
	}
	t, err := record.DecodeAs[T](data)
	if err != nil {
		return zero, &CorruptError{s.Path(k, h), err}
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

// Put encodes o, checks that every object it references exists, and writes
// it. It returns the object's hash.
func (s *Store) Put(o record.Object) (record.Hash, error) {
	it, err := NewItem(o)
	if err != nil {
		return record.Hash{}, err
	}
	if err := s.CheckRefs(o); err != nil {
		return it.Hash, err
	}
	return it.Hash, s.PutItems([]Item{it})
}

// CheckRefs verifies that every object o references is in the store: an
// object is written only after everything it references exists.
func (s *Store) CheckRefs(o record.Object) error {
	seen := map[record.Hash]bool{}
	for _, r := range o.Refs() {
		if seen[r] {
			continue
		}
		seen[r] = true
		if _, err := s.Kind(r); err != nil {
			return fmt.Errorf("%s references %s, which is %w", o.ObjectKind(), r.Short(), ErrNotFound)
		}
	}
	return nil
}

// PutItems writes a batch of verified items durably: each missing object
// goes to a temp file that is written and fsynced (in parallel), then all
// are renamed into place and each directory touched is fsynced once.
// Objects already present are skipped. Items must be ordered so that
// references precede referrers if the caller relies on that across crashes;
// within one batch all objects become visible after all data is durable.
func (s *Store) PutItems(items []Item) error {
	type pending struct {
		tmp, dst string
	}
	todo := make([]pending, len(items))
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range items {
		it := &items[i]
		if it.Hash.IsZero() {
			it.Hash = record.Sum(it.Data)
		}
		dst := s.Path(it.Kind, it.Hash)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			z := items[i].Z
			if z == nil {
				z = Compress(items[i].Data)
			}
			tmp, err := s.writeTemp(z, items[i].Hash)
			todo[i] = pending{tmp, dst}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, p := range todo {
			if p.tmp != "" {
				os.Remove(p.tmp)
			}
		}
		return fmt.Errorf("write objects: %w", err)
	}
	dirs := map[string]bool{}
	for _, p := range todo {
		if p.tmp == "" {
			continue
		}
		if err := os.Rename(p.tmp, p.dst); err != nil {
			return fmt.Errorf("write objects: %w", err)
		}
		dirs[filepath.Dir(p.dst)] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// PutRaw writes compressed bytes as received from another store after
// verifying that they decompress to canonical bytes hashing to h and
// decode as a valid record of kind k.
func (s *Store) PutRaw(k record.Kind, h record.Hash, z []byte) error {
	data, err := Decompress(z)
	if err != nil {
		return err
	}
	if record.Sum(data) != h {
		return ErrHashMismatch
	}
	o, err := record.Decode(data)
	if err != nil {
		return err
	}
	if o.ObjectKind() != k {
		return fmt.Errorf("a %s record where a %s was expected", o.ObjectKind(), k)
	}
	return s.PutItems([]Item{{Kind: k, Data: data, Hash: h, Z: z}})
}

func (s *Store) writeTemp(z []byte, h record.Hash) (string, error) {
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(s.dir, tmpDir, h.String()[:16]+"-"+hex.EncodeToString(rnd[:])+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return "", err
	}
	_, err = f.Write(z)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// writeAtomic writes a small file via a temp file in tmpdir and a rename.
func writeAtomic(tmpdir, dst string, b []byte, durable bool) error {
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(tmpdir, "w-"+hex.EncodeToString(rnd[:])+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if durable {
		return syncDir(filepath.Dir(dst))
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// ReadFile returns the raw (compressed) bytes of object h of kind k.
func (s *Store) ReadFile(k record.Kind, h record.Hash) ([]byte, error) {
	return os.ReadFile(s.Path(k, h))
}

// Memo returns the hashes stored under key (see PutMemo), if the entry is
// intact and every object it names exists. Memo entries are caches that
// make stages memoisable and resumable: a missing, damaged or dangling
// entry is a miss, never an error.
func (s *Store) Memo(key [32]byte) ([]record.Hash, bool) {
	b, err := os.ReadFile(filepath.Join(s.dir, memoDir, hex.EncodeToString(key[:])))
	if err != nil {
		return nil, false
	}
	fields := bytes.Fields(b)
	if len(fields) == 0 || !bytes.HasSuffix(b, []byte("\n")) {
		return nil, false
	}
	out := make([]record.Hash, len(fields))
	for i, f := range fields {
		h, err := record.ParseHash(string(f))
		if err != nil {
			return nil, false
		}
		if _, err := s.Kind(h); err != nil {
			return nil, false
		}
		out[i] = h
	}
	return out, true
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
	err := writeAtomic(filepath.Join(s.dir, tmpDir), filepath.Join(s.dir, memoDir, hex.EncodeToString(key[:])), b, false)
	if errors.Is(err, os.ErrNotExist) {
		// A store made by an older layout without memo/: create it.
		if err := os.MkdirAll(filepath.Join(s.dir, memoDir), 0o755); err != nil {
			return err
		}
		err = writeAtomic(filepath.Join(s.dir, tmpDir), filepath.Join(s.dir, memoDir, hex.EncodeToString(key[:])), b, false)
	}
	return err
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
