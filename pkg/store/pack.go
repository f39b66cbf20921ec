package store

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/wepipe/wepipe/pkg/record"
)

// Pack files (FORMAT.md §1.6) hold many objects in one file: zstd frames
// of the concatenated canonical CBOR of objects of one kind, then an
// index sorted by hash, then a fixed trailer. Readers look in the loose
// files first (a loose copy wins) and in the packs after; every packed
// object read is re-hashed against its name exactly as a loose one is
// (FORMAT.md §1.3). Packs are immutable and named by the SHA-256 of their
// bytes, so a decompressed frame can be cached by (pack name, offset).

const (
	packsDir        = "packs"
	packMagic       = "wepack\x00\x01"
	packHeaderSize  = 8
	packEntrySize   = 56
	packTrailerSize = 56
	packSuffix      = ".pack"
	// packKindMemo is the index code of a memo entry (FORMAT.md §1.6):
	// its "hash" is the memo key, its content the entry's bytes.
	packKindMemo = 0
)

// packKinds maps the index's kind codes to kinds (code 0 is a memo
// entry).
var packKinds = [...]record.Kind{1: record.KindSystem, 2: record.KindSnapshot, 3: record.KindState, 4: record.KindSegment, 5: record.KindRun}

// packCode is the index code of kind k.
func packCode(k record.Kind) byte {
	for i, x := range packKinds {
		if x == k && i > 0 {
			return byte(i)
		}
	}
	return 255
}

// packEntry is one entry of a pack's index.
type packEntry struct {
	hash     record.Hash
	code     byte
	frameOff uint64
	frameLen uint32
	off, n   uint32
}

// kind is the entry's kind ("" for a memo entry).
func (e packEntry) kind() record.Kind { return packKinds[e.code] }

func appendPackEntry(b []byte, e packEntry) []byte {
	b = append(b, e.hash[:]...)
	b = append(b, e.code, 0, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, e.frameLen)
	b = binary.LittleEndian.AppendUint64(b, e.frameOff)
	b = binary.LittleEndian.AppendUint32(b, e.off)
	return binary.LittleEndian.AppendUint32(b, e.n)
}

func decodePackEntry(b []byte) packEntry {
	var e packEntry
	copy(e.hash[:], b[:32])
	e.code = b[32]
	e.frameLen = binary.LittleEndian.Uint32(b[36:])
	e.frameOff = binary.LittleEndian.Uint64(b[40:])
	e.off = binary.LittleEndian.Uint32(b[48:])
	e.n = binary.LittleEndian.Uint32(b[52:])
	return e
}

// pack is one pack file: its header and trailer checked when it is
// opened, its index searched in place (mapped) by lookups and read whole
// and checked (load) by whatever takes every entry (FORMAT.md §1.6).
type pack struct {
	name  string // file name, <sha256>.pack
	path  string
	size  int64
	ixOff uint64   // the index's offset
	n     int      // its entries
	sum   [32]byte // its SHA-256, from the trailer
	// mapped is the index mapped from the file, untrusted: a lookup
	// checks each entry it takes (checkPackEntry), under readMapped. Nil
	// where files are not mapped: lookups then load the index.
	mapped []byte

	once  sync.Once
	index []byte // the index, read whole and checked: load
	err   error  // load's *PackError
}

// load reads the whole index and checks it (its SHA-256, its order and
// every entry), once; an index that fails makes the pack unusable whole.
func (p *pack) load() error {
	p.once.Do(func() {
		f, size, err := openRegularFile(p.path)
		if err == nil && size != p.size {
			f.Close()
			err = fmt.Errorf("pack file changed size (%d bytes, was %d)", size, p.size)
		}
		if err == nil {
			p.index, err = readPackIndex(f, p.ixOff, uint64(p.n), p.sum)
			f.Close()
		}
		if err != nil {
			p.err = packError(p.path, err)
		}
	})
	return p.err
}

// count and entry read the loaded index (load first).
func (p *pack) count() int            { return len(p.index) / packEntrySize }
func (p *pack) entry(i int) packEntry { return decodePackEntry(p.index[i*packEntrySize:]) }

// lookup returns the entries of hash h (one per kind code it is held as).
// A short-lived stage looks up a few objects in a pack of maybe millions:
// it searches the mapped index in place, interpolating on the hashes
// (lowerBound), so that a lookup touches a few pages of the index, not
// all of it, and takes only
// entries that pass checkPackEntry. A damaged index can only hide an
// object from it (every object taken is verified by its hash); the
// caller that then misses it lists the packs whole (packs) and names the
// damaged one.
func (p *pack) lookup(h record.Hash) []packEntry {
	if p.mapped == nil {
		if p.load() != nil {
			return nil
		}
		return searchPackIndex(p.index, h, nil)
	}
	var out []packEntry
	err := readMapped(func() error {
		out = searchPackIndex(p.mapped, h, func(e packEntry, b []byte) bool {
			return checkPackEntry(e, b, p.ixOff) == nil
		})
		return nil
	})
	if err != nil {
		return nil // truncated under us: as if damaged
	}
	return out
}

// searchPackIndex returns the entries of hash h in index ix (entries
// sorted by hash), those that ok accepts if ok is set.
func searchPackIndex(ix []byte, h record.Hash, ok func(packEntry, []byte) bool) []packEntry {
	n := len(ix) / packEntrySize
	at := func(i int) []byte { return ix[i*packEntrySize : i*packEntrySize+32] }
	var out []packEntry
	for i := lowerBound(n, at, h); i < n && bytes.Equal(at(i), h[:]); i++ {
		b := ix[i*packEntrySize : (i+1)*packEntrySize]
		e := decodePackEntry(b)
		if ok == nil || ok(e, b) {
			out = append(out, e)
		}
	}
	return out
}

// PackError reports a pack file that cannot be used: its index, trailer
// or header is damaged, or it is not a regular file. Its objects are not
// readable from it (a good copy can be merged back with we-merge --from).
type PackError struct {
	Path string
	Err  error
}

func (e *PackError) Error() string {
	return fmt.Sprintf("pack %s: %v (run we-fsck; a good copy of its objects can be merged back with we-merge --from)", e.Path, e.Err)
}
func (e *PackError) Unwrap() error { return e.Err }

// packError is the PackError of pack p failing with err, which names p
// already if it is an *os.PathError.
func packError(p string, err error) *PackError {
	var perr *os.PathError
	if errors.As(err, &perr) {
		err = perr.Err
	}
	return &PackError{p, err}
}

// maxPackIndex bounds a pack index held in memory (56 bytes an object:
// some 19 million objects), whatever its trailer claims.
var maxPackIndex int64 = 1 << 30

// parsePack checks a pack's header, trailer and index from r (size
// bytes) and returns the index. Every check that does not need a frame is
// made here: the index's checksum, its order, each entry's kind and
// bounds.
func parsePack(r io.ReaderAt, size int64) ([]byte, error) {
	ixOff, count, sum, err := parsePackEnds(r, size)
	if err != nil {
		return nil, err
	}
	return readPackIndex(r, ixOff, count, sum)
}

// parsePackEnds checks a pack's header and trailer (size bytes in all)
// and returns the index's offset, entry count and SHA-256.
func parsePackEnds(r io.ReaderAt, size int64) (ixOff, count uint64, sum [32]byte, err error) {
	if size < packHeaderSize+packTrailerSize {
		return 0, 0, sum, fmt.Errorf("truncated: %d bytes, shorter than a header and a trailer", size)
	}
	var hd [packHeaderSize]byte
	if _, err := r.ReadAt(hd[:], 0); err != nil {
		return 0, 0, sum, fmt.Errorf("read header: %w", err)
	}
	if string(hd[:6]) != packMagic[:6] {
		return 0, 0, sum, errors.New("not a pack file (bad magic number)")
	}
	if string(hd[:]) != packMagic {
		return 0, 0, sum, fmt.Errorf("pack version %d is not supported by this build, which reads version 1 (upgrade wepipe)", hd[7])
	}
	var tr [packTrailerSize]byte
	if _, err := r.ReadAt(tr[:], size-packTrailerSize); err != nil {
		return 0, 0, sum, fmt.Errorf("read trailer: %w", err)
	}
	if string(tr[48:]) != packMagic {
		return 0, 0, sum, errors.New("truncated or damaged: no trailer magic at the end")
	}
	ixOff = binary.LittleEndian.Uint64(tr[0:])
	count = binary.LittleEndian.Uint64(tr[8:])
	ixLen := uint64(size - packTrailerSize - packHeaderSize)
	if count > ixLen/packEntrySize || ixOff < packHeaderSize || ixOff+count*packEntrySize != uint64(size-packTrailerSize) {
		return 0, 0, sum, fmt.Errorf("trailer claims %d entries at offset %d, which do not fit a file of %d bytes", count, ixOff, size)
	}
	if int64(count*packEntrySize) > maxPackIndex {
		return 0, 0, sum, fmt.Errorf("index of %d entries over the limit of %d bytes", count, maxPackIndex)
	}
	return ixOff, count, [32]byte(tr[16:48]), nil
}

// readPackIndex reads the index (count entries at ixOff) and checks it
// whole: its SHA-256 against sum, its order and every entry.
func readPackIndex(r io.ReaderAt, ixOff, count uint64, sum [32]byte) ([]byte, error) {
	ix := make([]byte, count*packEntrySize)
	if _, err := r.ReadAt(ix, int64(ixOff)); err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	if sha256.Sum256(ix) != sum {
		return nil, errors.New("index checksum mismatch (the index is damaged)")
	}
	for i := 0; i < int(count); i++ {
		b := ix[i*packEntrySize : (i+1)*packEntrySize]
		if i > 0 {
			prev := ix[(i-1)*packEntrySize : i*packEntrySize]
			if c := bytes.Compare(prev[:33], b[:33]); c >= 0 {
				return nil, fmt.Errorf("index entry %d out of order", i)
			}
		}
		if err := checkPackEntry(decodePackEntry(b), b, ixOff); err != nil {
			return nil, fmt.Errorf("index entry %d: %w", i, err)
		}
	}
	return ix, nil
}

// checkPackEntry checks entry e (bytes b) of an index at ixOff: its kind
// code, reserved bytes and bounds.
func checkPackEntry(e packEntry, b []byte, ixOff uint64) error {
	switch {
	case int(e.code) >= len(packKinds):
		return fmt.Errorf("unknown kind code %d", e.code)
	case b[33] != 0 || b[34] != 0 || b[35] != 0:
		return errors.New("reserved bytes not zero")
	case uint64(e.frameLen) > uint64(compressBound(int(MaxObjectSize))):
		return fmt.Errorf("frame of %d bytes, over the object size limit", e.frameLen)
	case e.frameOff < packHeaderSize || e.frameLen == 0 || e.frameOff+uint64(e.frameLen) > ixOff:
		return fmt.Errorf("frame at %d of %d bytes outside the frames (which end at %d)", e.frameOff, e.frameLen, ixOff)
	case e.n == 0 || uint64(e.off)+uint64(e.n) > uint64(MaxObjectSize):
		return fmt.Errorf("object at %d of %d bytes in its frame, over the object size limit", e.off, e.n)
	}
	return nil
}

// openPack opens pack file p (never following a link, never blocking:
// openRegularFile), checks its header and trailer and maps its index for
// lookups; the index is read and checked whole by load.
func openPack(p string) (*pack, error) {
	f, size, err := openRegularFile(p)
	if err != nil {
		return nil, packError(p, err)
	}
	defer f.Close()
	ixOff, count, sum, err := parsePackEnds(f, size)
	if err != nil {
		return nil, &PackError{p, err}
	}
	pk := &pack{name: filepath.Base(p), path: p, size: size, ixOff: ixOff, n: int(count), sum: sum}
	pk.mapped = mapRegion(pk, f, int64(ixOff), int64(count)*packEntrySize)
	return pk, nil
}

// openPackFull opens pack file p and loads its index.
func openPackFull(p string) (*pack, error) {
	pk, err := openPack(p)
	if err == nil {
		err = pk.load()
	}
	return pk, err
}

// packSet is a store's packs, loaded on the first lookup that misses the
// loose files and again whenever a lookup misses them all (a pack may
// have landed since: we-pack renames its pack in before it removes the
// loose files, so a reader that misses both finds the new pack).
type packSet struct {
	mu     sync.Mutex
	loaded bool
	names  []string // file names seen by the last scan, sorted
	packs  []*pack
	broken []*PackError // packs refused by the last scan
}

// packNames lists the pack files of dir, sorted; a missing directory
// has none.
func packNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if isPackName(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// isPackName reports whether name is <64 lowercase hex digits>.pack.
func isPackName(name string) bool {
	h, ok := strings.CutSuffix(name, packSuffix)
	if !ok || len(h) != 64 {
		return false
	}
	x, err := record.ParseHash(h)
	return err == nil && x.String() == h
}

// scan loads the packs whose names are new since the last scan and drops
// those gone. It holds ps.mu.
func (s *Store) scanPacks(ps *packSet) {
	dir := filepath.Join(s.dir, packsDir)
	names, err := packNames(dir)
	if err != nil {
		ps.broken = []*PackError{{dir, err}}
		return
	}
	ps.loaded = true
	if slices.Equal(names, ps.names) {
		return
	}
	old := map[string]*pack{}
	for _, p := range ps.packs {
		old[p.name] = p
	}
	oldBroken := map[string]*PackError{}
	for _, b := range ps.broken {
		oldBroken[filepath.Base(b.Path)] = b
	}
	ps.packs, ps.broken, ps.names = nil, nil, names
	for _, n := range names {
		if p := old[n]; p != nil {
			ps.packs = append(ps.packs, p)
			continue
		}
		if b := oldBroken[n]; b != nil {
			ps.broken = append(ps.broken, b)
			continue
		}
		p, err := openPack(filepath.Join(dir, n))
		if err != nil {
			var pe *PackError
			if !errors.As(err, &pe) {
				pe = &PackError{filepath.Join(dir, n), err}
			}
			ps.broken = append(ps.broken, pe)
			continue
		}
		ps.packs = append(ps.packs, p)
	}
}

// packState returns the store's pack set, loaded.
func (s *Store) packState() *packSet {
	s.packOnce.Do(func() { s.packSet = &packSet{} })
	return s.packSet
}

// packLookup returns the packs holding h (with code c, or any object
// kind if c is 255), scanning the packs directory again when the known
// packs hold none.
func (s *Store) packLookup(h record.Hash, c byte) []packHit {
	ps := s.packState()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	find := func() []packHit {
		var out []packHit
		for _, p := range ps.packs {
			for _, e := range p.lookup(h) {
				if e.code == c || c == 255 && e.code != packKindMemo {
					out = append(out, packHit{p, e})
				}
			}
		}
		return out
	}
	if ps.loaded {
		if out := find(); len(out) > 0 {
			return out
		}
	}
	s.scanPacks(ps)
	return find()
}

// packHit is an entry of a pack.
type packHit struct {
	p *pack
	e packEntry
}

// packs returns the packs known now (scanned again), each with its index
// loaded and checked whole, and those refused.
func (s *Store) packs() ([]*pack, []*PackError) {
	ps := s.packState()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	s.scanPacks(ps)
	good := ps.packs[:0:0]
	broken := slices.Clone(ps.broken)
	for _, p := range ps.packs {
		if err := p.load(); err != nil {
			broken = append(broken, err.(*PackError))
			continue
		}
		good = append(good, p)
	}
	return good, broken
}

// packedKind returns the kind of packed object h.
func (s *Store) packedKind(h record.Hash) (record.Kind, bool) {
	hits := s.packLookup(h, 255)
	if len(hits) == 0 {
		return "", false
	}
	return hits[0].e.kind(), true
}

// packedHas reports whether a pack holds object h of kind k.
func (s *Store) packedHas(k record.Kind, h record.Hash) bool {
	c := packCode(k)
	return c != 255 && len(s.packLookup(h, c)) > 0
}

// packedList returns the hashes of the packed objects of kind k.
func (s *Store) packedList(k record.Kind) []record.Hash {
	c := packCode(k)
	packs, _ := s.packs()
	var out []record.Hash
	for _, p := range packs {
		for i := 0; i < p.count(); i++ {
			if p.index[i*packEntrySize+32] == c {
				out = append(out, record.Hash(p.index[i*packEntrySize:i*packEntrySize+32]))
			}
		}
	}
	return out
}

// packedPrefix returns the packed objects whose hash starts with the hex
// prefix p, with their kinds.
func (s *Store) packedPrefix(p string) ([]record.Hash, []record.Kind) {
	packs, _ := s.packs()
	var hs []record.Hash
	var ks []record.Kind
	seen := map[record.Hash]bool{}
	for _, pk := range packs {
		n := pk.count()
		i := sort.Search(n, func(i int) bool {
			return record.Hash(pk.index[i*packEntrySize:i*packEntrySize+32]).String() >= p
		})
		for ; i < n; i++ {
			e := pk.entry(i)
			if !strings.HasPrefix(e.hash.String(), p) {
				break
			}
			if e.code != packKindMemo && !seen[e.hash] {
				seen[e.hash] = true
				hs = append(hs, e.hash)
				ks = append(ks, e.kind())
			}
		}
	}
	return hs, ks
}

// readPacked reads packed object h of kind k (code c): the content of its
// entry, hashed against h (unless it is a memo entry). With several packs
// holding it, the first sound copy is returned; otherwise the first
// error, a *CorruptError naming the pack and the object.
func (s *Store) readPacked(c byte, h record.Hash) (content, string, error) {
	out, p, err := s.readPackedOnce(c, h)
	if errors.Is(err, fs.ErrNotExist) {
		// A pack known here was removed (a repack, we-pack --all, whose
		// new pack holds its objects): scan again, and read once more.
		ps := s.packState()
		ps.mu.Lock()
		ps.names = nil
		s.scanPacks(ps)
		ps.mu.Unlock()
		out, p, err = s.readPackedOnce(c, h)
	}
	return out, p, err
}

func (s *Store) readPackedOnce(c byte, h record.Hash) (content, string, error) {
	hits := s.packLookup(h, c)
	if len(hits) == 0 {
		return content{}, "", ErrNotFound
	}
	var first error
	var firstPath string
	for _, hit := range hits {
		data, err := readPackEntry(hit.p, hit.e)
		if err == nil && c != packKindMemo && record.Sum(data) != h {
			err = ErrHashMismatch
		}
		if err == nil {
			return content{data: data}, hit.p.path, nil
		}
		if first == nil {
			first, firstPath = err, hit.p.path
		}
	}
	return content{}, firstPath, &CorruptError{packObjectPath(firstPath, hits[0].e), first}
}

// packObjectPath names an object in a pack for messages:
// PACK(kind/hash).
func packObjectPath(pack string, e packEntry) string {
	k := string(e.kind())
	if e.code == packKindMemo {
		k = "memo"
	}
	return fmt.Sprintf("%s(%s/%s)", pack, k, e.hash)
}

// frameCache holds recently decompressed frames of packs, so that reading
// many objects of one frame decompresses it once. Packs are immutable and
// named by their content's hash, so (pack path, offset) names a frame's
// content for good (the path, not the name alone: two stores read by one
// process may hold damaged copies of one pack). Whatever a cached frame
// holds, each object taken from it is re-hashed against its name. Frames
// larger than frameCacheMax are not kept.
var frameCache = &lruFrames{max: 32 << 20, items: map[frameKey]*list.Element{}}

const frameCacheMax = 4 << 20

type frameKey struct {
	pack string
	off  uint64
}

type lruFrames struct {
	mu    sync.Mutex
	max   int64
	used  int64
	order list.List // of *frameItem, most recent first
	items map[frameKey]*list.Element
}

type frameItem struct {
	key  frameKey
	data []byte
}

func (c *lruFrames) get(k frameKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*frameItem).data, true
}

func (c *lruFrames) put(k frameKey, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.order.PushFront(&frameItem{k, data})
	c.used += int64(len(data))
	for c.used > c.max {
		el := c.order.Back()
		it := el.Value.(*frameItem)
		c.order.Remove(el)
		delete(c.items, it.key)
		c.used -= int64(len(it.data))
	}
}

// readPackEntry returns a copy of the bytes of entry e of pack p: its
// frame is read from the file (opened again, never followed through a
// link: the pack may have been removed by a repack, which the caller then
// misses) and decompressed as an object file is (decompress: one frame,
// size declared and bounded, never more memory than it declares), or
// taken from the cache.
func readPackEntry(p *pack, e packEntry) ([]byte, error) {
	key := frameKey{p.path, e.frameOff}
	data, ok := frameCache.get(key)
	if !ok {
		f, size, err := openRegularFile(p.path)
		if err != nil {
			return nil, err
		}
		if size != p.size {
			f.Close()
			return nil, fmt.Errorf("pack file changed size (%d bytes, was %d)", size, p.size)
		}
		zb := fileMem.acquire(int64(e.frameLen))
		z := make([]byte, e.frameLen)
		_, err = f.ReadAt(z, int64(e.frameOff))
		f.Close()
		if err != nil {
			fileMem.release(zb)
			return nil, fmt.Errorf("read frame at %d: %w", e.frameOff, err)
		}
		// A pack's frame MUST declare its size (FORMAT.md §1.6), so that
		// its buffer is sized before anything is decoded.
		var hdr zstd.Header
		if err := hdr.Decode(z); err == nil && !hdr.Skippable && !hdr.HasFCS {
			fileMem.release(zb)
			return nil, fmt.Errorf("frame at %d: no declared content size (a pack's frames declare it)", e.frameOff)
		}
		c, err := decompress(z, false)
		fileMem.release(zb)
		if err != nil {
			return nil, fmt.Errorf("frame at %d: %w", e.frameOff, err)
		}
		data = c.data
		contentMem.release(c.held)
		if len(data) <= frameCacheMax {
			frameCache.put(key, data)
		} else if e.off == 0 && int(e.n) == len(data) {
			return data, nil // an object alone in its frame: no copy
		}
	}
	if uint64(e.off)+uint64(e.n) > uint64(len(data)) {
		return nil, fmt.Errorf("object at %d of %d bytes beyond its frame's %d bytes", e.off, e.n, len(data))
	}
	return append([]byte(nil), data[e.off:e.off+e.n]...), nil
}

// notFound is the error of object h of kind k found neither loose nor in
// a pack; it names the packs that could not be read, which may hold it.
func (s *Store) notFound(k record.Kind, h record.Hash) error {
	_, broken := s.packs()
	if len(broken) > 0 {
		return fmt.Errorf("%s %s: %w (%d pack files could not be read: %v)", k, h.Short(), ErrNotFound, len(broken), broken[0])
	}
	return fmt.Errorf("%s %s: %w", k, h.Short(), ErrNotFound)
}

// memoBytes returns memo entry key: the loose file if there is one (it
// wins), else the entry of a pack's memo section (FORMAT.md §1.6).
func (s *Store) memoBytes(key [32]byte) ([]byte, bool) {
	b, err := readSmall(s.memoPath(key))
	if err == nil {
		return b, true
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	c, _, err := s.readPacked(packKindMemo, key)
	if err != nil || len(c.data) > 1<<20 {
		return nil, false
	}
	return c.data, true
}

// fetchPacked is fetch for an object of src found only in a pack: its
// content is verified as a read does and given the frame a loose copy
// would hold.
func fetchPacked(src *Store, k record.Kind, h record.Hash) fetched {
	c, _, err := src.readPacked(packCode(k), h)
	if errors.Is(err, ErrNotFound) {
		return fetched{err: fmt.Errorf("%s %s: %w", k, h.Short(), ErrNotFound)}
	}
	if err != nil {
		return fetched{err: err}
	}
	o, err := verifyDecode(c.data, k, h)
	if err != nil {
		return fetched{err: err}
	}
	return fetched{it: Item{Kind: k, Hash: h, Z: compressTo(nil, c.data)}, refs: typedRefs(o)}
}

// StoredSize is the number of bytes object h of kind k takes on disk: the
// size of its file, or, for a packed object, its share of its frame (the
// frame's length times the object's bytes over the frame's content, the
// size the frame declares). It is false when the store holds neither.
func (s *Store) StoredSize(k record.Kind, h record.Hash) (int64, bool) {
	if fi, err := os.Lstat(s.Path(k, h)); err == nil && fi.Mode().IsRegular() {
		return fi.Size(), true
	}
	hits := s.packLookup(h, packCode(k))
	if len(hits) == 0 {
		return 0, false
	}
	p, e := hits[0].p, hits[0].e
	f, _, err := openRegularFile(p.path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	head := make([]byte, min(int(e.frameLen), zstd.HeaderMaxSize))
	var hdr zstd.Header
	if _, err := f.ReadAt(head, int64(e.frameOff)); err != nil || hdr.Decode(head) != nil || !hdr.HasFCS || hdr.FrameContentSize == 0 {
		return int64(e.n), true // no better figure: its uncompressed bytes
	}
	return int64(float64(e.frameLen) * float64(e.n) / float64(hdr.FrameContentSize)), true
}
