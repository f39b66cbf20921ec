package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/klauspost/compress/zstd"

	"github.com/wepipe/wepipe/pkg/record"
)

// DefaultFrameSize is the most content a pack's frame holds (FORMAT.md
// §1.6): large enough that zstd finds the repeats between the small
// records of a run (a 48-walker run's states are 234 bytes each), small
// enough that reading one object decompresses little.
const DefaultFrameSize = 1 << 20

// DefaultPackLevel is the zstd level of pack frames: packs are written
// once, by a tool run between stages, and read often, so they are
// compressed harder than loose objects (which a stage writes at the
// fastest level).
const DefaultPackLevel = zstd.SpeedBestCompression

// PackOptions tune Pack.
type PackOptions struct {
	// All repacks the objects of the existing packs too, into the one new
	// pack, and removes the old packs.
	All bool
	// FrameSize bounds a frame's content (DefaultFrameSize if zero); an
	// object larger than it has a frame of its own.
	FrameSize int
	// NoMemo leaves the memo entries loose.
	NoMemo bool
	// Level is the zstd level (DefaultPackLevel if zero).
	Level zstd.EncoderLevel

	// vector writes frames of raw blocks, objects in hash order
	// (FORMAT.md §1.6's test vector: bytes that neither a compressor's
	// version nor the files' times change).
	vector bool
}

// PackReport summarises a Pack.
type PackReport struct {
	Pack         string // the new pack's file name, "" if nothing was packed
	Objects      int    // objects in the new pack
	Memo         int    // memo entries in the new pack
	Bytes        int64  // the new pack's size
	LooseRemoved int    // loose object files removed (packed, verified)
	MemoRemoved  int    // loose memo entries removed
	PacksRemoved int    // old packs removed (with All)
	Problems     []Problem
}

// ErrPackBusy reports that another packer holds the store's pack lock.
var ErrPackBusy = errors.New("another we-pack is at work on this store")

// packItem is one object or memo entry to pack, and where it comes from.
type packItem struct {
	code byte
	hash record.Hash // or memo key
	from *pack       // nil: loose
	e    packEntry   // its entry in from
	// order places the item in its kind's frames: objects written
	// together (a step's snapshot and the resampled one that repeats its
	// state hashes) sit side by side, where zstd finds their repeats. A
	// loose file's modification time, or an old pack's position.
	order int64
}

// Pack moves loose objects (and memo entries, but for we-step's progress
// entries) into a new pack file (FORMAT.md §1.6), crash-safely: the pack
// is written in tmp/, made durable, read back and every object in it
// verified, renamed into packs/ and made durable there; only then are the
// loose files it holds removed (by the store's own directory handles,
// never through a link). A SIGKILL at any moment leaves every object
// readable, loose or packed or both (a loose copy of a packed object is
// harmless: it shadows the packed one); a rerun finishes the job. Writers
// keep writing loose objects meanwhile: Pack removes only the files it
// listed, read and verified. One packer runs at a time (a lock on
// packs/).
func (s *Store) Pack(opt PackOptions) (*PackReport, error) {
	if opt.FrameSize <= 0 {
		opt.FrameSize = DefaultFrameSize
	}
	if opt.Level == 0 {
		opt.Level = DefaultPackLevel
	}
	rep := &PackReport{}
	root, err := s.dirAt()
	if err != nil {
		return nil, err
	}
	err = mkdirAt(root, packsDir)
	if err == nil && !fsyncOff {
		err = fsyncDirHandle(root)
	}
	closeDir(root)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Join(s.dir, packsDir), err)
	}
	if err := checkLayout(s.dir); err != nil {
		return nil, err
	}
	unlock, ok, err := lockDir(filepath.Join(s.dir, packsDir))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("store %s: %w", s.dir, ErrPackBusy)
	}
	defer unlock()

	oldPacks, broken := s.packs()
	for _, b := range broken {
		rep.Problems = append(rep.Problems, Problem{b.Path, b.Err.Error() + "; left as it is"})
	}
	// What to pack: loose objects not already packed (soundly), and with
	// All every object of the old packs.
	var items []packItem
	var alreadyPacked []packItem // loose copies of packed objects: removed
	inPack := map[[33]byte]bool{}
	key := func(c byte, h record.Hash) [33]byte {
		var k [33]byte
		copy(k[:], h[:])
		k[32] = c
		return k
	}
	oldKeys := map[[33]byte]bool{}
	for _, p := range oldPacks {
		for i := 0; i < p.count(); i++ {
			e := p.entry(i)
			oldKeys[key(e.code, e.hash)] = true
		}
	}
	for _, k := range record.Kinds {
		names, err := looseNames(s.kindDir(k))
		if err != nil {
			return nil, err
		}
		c := packCode(k)
		for _, h := range names {
			it := packItem{code: c, hash: h}
			if !opt.All && oldKeys[key(c, h)] {
				if pc, _, err := s.readPacked(c, h); err == nil {
					pc.release()
					alreadyPacked = append(alreadyPacked, it)
					continue
				}
				// The packed copy is damaged: the loose one, which wins,
				// stays loose.
				continue
			}
			inPack[key(c, h)] = true
			it.order = modTime(filepath.Join(s.kindDir(k), h.String()))
			items = append(items, it)
		}
	}
	if !opt.NoMemo {
		keys, err := looseNames(filepath.Join(s.dir, memoDir))
		if err != nil {
			return nil, err
		}
		for _, h := range keys {
			b, err := readSmall(s.memoPath(h))
			if err != nil || !packableMemo(b) {
				continue
			}
			it := packItem{code: packKindMemo, hash: h}
			if !opt.All && oldKeys[key(packKindMemo, h)] {
				// Packed already, by a packer killed before it removed
				// the loose entry: removed if it still says the same.
				if pc, _, err := s.readPacked(packKindMemo, h); err == nil {
					same := bytes.Equal(pc.data, b)
					pc.release()
					if same {
						alreadyPacked = append(alreadyPacked, it)
						continue
					}
				}
			}
			inPack[key(packKindMemo, h)] = true
			items = append(items, it)
		}
	}
	if opt.All {
		for _, p := range oldPacks {
			for i := 0; i < p.count(); i++ {
				e := p.entry(i)
				if e.code == packKindMemo && opt.NoMemo || inPack[key(e.code, e.hash)] {
					continue
				}
				inPack[key(e.code, e.hash)] = true
				// Before any loose file (older), in the old pack's order.
				items = append(items, packItem{code: e.code, hash: e.hash, from: p, e: e, order: int64(e.frameOff<<20|uint64(e.off)) - 1<<62})
			}
		}
	}
	// Frames hold one kind each; objects of a kind in the order they
	// were written (packItem.order), then by hash.
	if opt.vector {
		for i := range items {
			items[i].order = 0
		}
	}
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.code != b.code {
			return a.code < b.code
		}
		if a.order != b.order {
			return a.order < b.order
		}
		return bytes.Compare(a.hash[:], b.hash[:]) < 0
	})
	var packed []packItem
	if len(items) > 0 {
		name, n, written, err := s.writePack(items, opt, rep)
		if err != nil {
			return rep, err
		}
		packed = written
		rep.Pack, rep.Bytes = name, n
		for _, it := range packed {
			if it.code == packKindMemo {
				rep.Memo++
			} else {
				rep.Objects++
			}
		}
	}
	ps := s.packState()
	ps.mu.Lock()
	ps.names = nil
	s.scanPacks(ps) // the new pack among them
	ps.mu.Unlock()
	// The pack is durable under its name: the copies it holds go.
	if err := s.removePacked(append(packed, alreadyPacked...), rep); err != nil {
		return rep, err
	}
	s.shrinkDirs()
	if opt.All && rep.Pack != "" || opt.All && len(items) == 0 {
		if err := s.removeOldPacks(oldPacks, packed, rep); err != nil {
			return rep, err
		}
	}
	ps.mu.Lock()
	ps.names = nil // scan again on the next lookup
	ps.mu.Unlock()
	return rep, nil
}

// packableMemo reports whether memo entry b is a list of object hashes
// (FORMAT.md §1.1), not a we-step progress entry, which changes while a
// step runs and is removed when it ends: only the former go into packs.
func packableMemo(b []byte) bool {
	if !bytes.HasSuffix(b, []byte("\n")) {
		return false
	}
	line := b[:len(b)-1]
	if len(line) == 0 {
		return true
	}
	if (len(line)+1)%65 != 0 {
		return false
	}
	for i := 0; i < (len(line)+1)/65; i++ {
		f := string(line[65*i : 65*i+64])
		if h, err := record.ParseHash(f); err != nil || h.String() != f {
			return false
		}
		if 65*i+64 < len(line) && line[65*i+64] != ' ' {
			return false
		}
	}
	return true
}

// looseNames lists the entries of dir named by 64 lowercase hex digits.
func looseNames(dir string) ([]record.Hash, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]record.Hash, 0, len(ents))
	for _, e := range ents {
		if h, err := record.ParseHash(e.Name()); err == nil && h.String() == e.Name() {
			out = append(out, h)
		}
	}
	return out, nil
}

// packWriter writes a pack file, hashing it as it goes.
type packWriter struct {
	fd   *os.File
	sum  hash.Hash
	off  uint64
	enc  *zstd.Encoder
	raw  bool
	ents []packEntry
	// the frame being filled
	buf  []byte
	pend []packEntry
}

func (w *packWriter) write(b []byte) error {
	if _, err := w.fd.Write(b); err != nil {
		return err
	}
	w.sum.Write(b)
	w.off += uint64(len(b))
	return nil
}

// flush writes the frame being filled.
func (w *packWriter) flush() error {
	if len(w.pend) == 0 {
		return nil
	}
	var z []byte
	if w.raw || len(w.buf) >= rawMin && !compressible(w.buf) {
		z = appendRawFrame(nil, w.buf)
	} else {
		z = w.enc.EncodeAll(w.buf, make([]byte, 0, compressBound(len(w.buf))))
	}
	for _, e := range w.pend {
		e.frameOff, e.frameLen = w.off, uint32(len(z))
		w.ents = append(w.ents, e)
	}
	w.buf, w.pend = w.buf[:0], w.pend[:0]
	return w.write(z)
}

// add appends one object's bytes to the frame of its kind.
func (w *packWriter) add(code byte, h record.Hash, data []byte, frameSize int) error {
	if len(w.pend) > 0 && (w.pend[0].code != code || len(w.buf)+len(data) > frameSize) {
		if err := w.flush(); err != nil {
			return err
		}
	}
	w.pend = append(w.pend, packEntry{hash: h, code: code, off: uint32(len(w.buf)), n: uint32(len(data))})
	w.buf = append(w.buf, data...)
	return nil
}

// writePack writes items into a new pack and lands it (see Pack); it
// returns the pack's name and size and the items it holds (those that
// read and verified).
func (s *Store) writePack(items []packItem, opt PackOptions, rep *PackReport) (string, int64, []packItem, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(opt.Level), zstd.WithEncoderCRC(false), zstd.WithSingleSegment(true), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return "", 0, nil, err
	}
	defer enc.Close()
	tmp := tmpName(filepath.Join(s.dir, tmpDir), "pack")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return "", 0, nil, fmt.Errorf("write pack: %w", err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := &packWriter{fd: f, sum: sha256.New(), enc: enc, raw: opt.vector}
	if err := w.write([]byte(packMagic)); err != nil {
		return "", 0, nil, fmt.Errorf("write pack %s: %w", tmp, err)
	}
	var packed []packItem
	// Items are read and verified a window at a time on every core, then
	// added in order; a window bounds the memory held.
	const window = 256
	datas := make([][]byte, window)
	helds := make([]int64, window)
	errs := make([]error, window)
	for lo := 0; lo < len(items); lo += window {
		win := items[lo:min(lo+window, len(items))]
		parallelFor(len(win), runtime.GOMAXPROCS(0), func(i int) { datas[i], helds[i], errs[i] = s.packItemData(win[i]) })
		for i, it := range win {
			if errs[i] != nil {
				rep.Problems = append(rep.Problems, Problem{s.itemPath(it), errs[i].Error() + "; not packed"})
				continue
			}
			err := w.add(it.code, it.hash, datas[i], opt.FrameSize)
			contentMem.release(helds[i])
			datas[i], helds[i] = nil, 0
			if err != nil {
				return "", 0, nil, fmt.Errorf("write pack %s: %w", tmp, err)
			}
			packed = append(packed, it)
		}
	}
	if err := w.flush(); err != nil {
		return "", 0, nil, fmt.Errorf("write pack %s: %w", tmp, err)
	}
	if len(packed) == 0 {
		return "", 0, nil, nil
	}
	ixOff := w.off
	sort.Slice(w.ents, func(i, j int) bool {
		a, b := w.ents[i], w.ents[j]
		if c := bytes.Compare(a.hash[:], b.hash[:]); c != 0 {
			return c < 0
		}
		return a.code < b.code
	})
	ix := make([]byte, 0, len(w.ents)*packEntrySize)
	for _, e := range w.ents {
		ix = appendPackEntry(ix, e)
	}
	tr := binary.LittleEndian.AppendUint64(nil, ixOff)
	tr = binary.LittleEndian.AppendUint64(tr, uint64(len(w.ents)))
	ixSum := sha256.Sum256(ix)
	tr = append(tr, ixSum[:]...)
	tr = append(tr, packMagic...)
	if err := w.write(ix); err != nil {
		return "", 0, nil, fmt.Errorf("write pack %s: %w", tmp, err)
	}
	if err := w.write(tr); err != nil {
		return "", 0, nil, fmt.Errorf("write pack %s: %w", tmp, err)
	}
	if !fsyncOff {
		if err := f.Sync(); err != nil {
			return "", 0, nil, fmt.Errorf("write pack %s: %w", tmp, err)
		}
	}
	if err := f.Close(); err != nil {
		done = true
		os.Remove(tmp)
		return "", 0, nil, fmt.Errorf("write pack %s: %w", tmp, err)
	}
	done = true
	name := hex.EncodeToString(w.sum.Sum(nil)) + packSuffix
	// Read back from the disk and verify every entry before the pack gets
	// its name.
	if err := verifyNewPack(tmp, name, len(packed)); err != nil {
		os.Remove(tmp)
		return "", 0, nil, fmt.Errorf("write pack: the pack written does not verify: %w", err)
	}
	td, err := s.dirAt(tmpDir)
	if err != nil {
		os.Remove(tmp)
		return "", 0, nil, err
	}
	defer closeDir(td)
	pd, err := s.dirAt(packsDir)
	if err != nil {
		os.Remove(tmp)
		return "", 0, nil, err
	}
	defer closeDir(pd)
	if err := renameAt(td, filepath.Base(tmp), pd, name); err != nil {
		os.Remove(tmp)
		return "", 0, nil, fmt.Errorf("write pack: rename into %s: %w", packsDir, err)
	}
	if !fsyncOff {
		if err := fsyncDirHandle(pd); err != nil {
			return "", 0, nil, fmt.Errorf("write pack: fsync %s: %w", packsDir, err)
		}
	}
	return name, int64(w.off), packed, nil
}

// verifyNewPack reads pack file p (to be named name) as a reader would
// and checks each of its entries: every object re-hashed and decoded as
// a valid record of its kind.
func verifyNewPack(p, name string, want int) error {
	pk, err := openPackFull(p)
	if err != nil {
		return err
	}
	if pk.count() != want {
		return fmt.Errorf("%d entries, want %d", pk.count(), want)
	}
	defer dropFrames(pk.path) // a temp file's frames: never read again
	var bad error
	errs := make([]error, pk.count())
	parallelFor(pk.count(), runtime.GOMAXPROCS(0), func(i int) {
		e := pk.entry(i)
		data, err := readPackEntry(pk, e)
		if err == nil && e.code != packKindMemo {
			_, err = verifyDecode(data, e.kind(), e.hash)
		}
		errs[i] = err
	})
	for i, err := range errs {
		if err != nil && bad == nil {
			bad = fmt.Errorf("%s: %w", packObjectPath(p, pk.entry(i)), err)
		}
	}
	return bad
}

// dropFrames removes the frames of the pack file at path from the frame
// cache.
func dropFrames(path string) {
	c := frameCache
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, el := range c.items {
		if k.pack == path {
			c.order.Remove(el)
			delete(c.items, k)
			c.used -= int64(len(el.Value.(*frameItem).data))
		}
	}
}

// packItemData reads and verifies an item to pack; the content of a
// loose object holds contentMem (held bytes) until the caller releases
// it, which bounds the memory of the reads in flight.
func (s *Store) packItemData(it packItem) ([]byte, int64, error) {
	switch {
	case it.code == packKindMemo && it.from == nil:
		b, err := readSmall(s.memoPath(it.hash))
		if err == nil && !packableMemo(b) {
			err = errors.New("not a memo entry of object hashes")
		}
		return b, 0, err
	case it.from != nil:
		data, err := readPackEntry(it.from, it.e)
		if err == nil && it.code != packKindMemo {
			_, err = verifyDecode(data, it.e.kind(), it.hash)
		}
		return data, 0, err
	}
	k := packKinds[it.code]
	c, _, err := s.read(k, it.hash, false)
	if err != nil {
		return nil, 0, plain(err)
	}
	if _, err := verifyDecode(c.data, k, it.hash); err != nil {
		c.release()
		return nil, 0, err
	}
	return c.data, c.held, nil
}

// itemPath names an item for messages.
func (s *Store) itemPath(it packItem) string {
	switch {
	case it.from != nil:
		return packObjectPath(it.from.path, it.e)
	case it.code == packKindMemo:
		return s.memoPath(it.hash)
	}
	return s.Path(packKinds[it.code], it.hash)
}

// removePacked removes the loose files of items packed (items from old
// packs have none), through the store's own directory handles (dirAt).
// A memo entry is removed only if it still holds what was packed (a stage
// may have rewritten it meanwhile; losing such a race costs a
// recomputation, as any lost memo entry does).
func (s *Store) removePacked(items []packItem, rep *PackReport) error {
	byDir := map[string][]packItem{}
	for _, it := range items {
		if it.from != nil {
			continue
		}
		d := memoDir
		if it.code != packKindMemo {
			d = filepath.Join(objectsDir, string(packKinds[it.code]))
		}
		byDir[d] = append(byDir[d], it)
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		var fd dirHandle
		var err error
		if d == memoDir {
			fd, err = s.dirAt(memoDir)
		} else {
			fd, err = s.dirAt(objectsDir, filepath.Base(d))
		}
		if err != nil {
			return err
		}
		for _, it := range byDir[d] {
			name := it.hash.String()
			if it.code == packKindMemo {
				now, err := readSmall(s.memoPath(it.hash))
				pc, _, perr := s.readPacked(packKindMemo, it.hash)
				if err != nil || perr != nil || !bytes.Equal(now, pc.data) {
					continue
				}
			}
			if err := removeAt(fd, name); err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					rep.Problems = append(rep.Problems, Problem{filepath.Join(s.dir, d, name), fmt.Sprintf("remove the packed loose copy: %v", err)})
				}
				continue
			}
			if it.code == packKindMemo {
				rep.MemoRemoved++
			} else {
				rep.LooseRemoved++
			}
		}
		if !fsyncOff {
			if err := fsyncDirHandle(fd); err != nil {
				closeDir(fd)
				return err
			}
		}
		closeDir(fd)
	}
	return nil
}

// removeOldPacks removes the old packs whose every entry is in the new
// pack (repacked and verified); a pack with an entry that failed is kept.
func (s *Store) removeOldPacks(old []*pack, packed []packItem, rep *PackReport) error {
	keep := map[*pack]bool{}
	in := map[packEntry]bool{}
	for _, it := range packed {
		if it.from != nil {
			in[it.e] = true
		}
	}
	pd, err := s.dirAt(packsDir)
	if err != nil {
		return err
	}
	defer closeDir(pd)
	for _, p := range old {
		if p.name == rep.Pack {
			continue
		}
		for i := 0; i < p.count() && !keep[p]; i++ {
			e := p.entry(i)
			if !in[e] {
				// Not taken from this pack: it is in the new pack only if
				// taken from another (a duplicate) or loose.
				if _, ok := s.newPackHas(rep.Pack, e); !ok {
					keep[p] = true
				}
			}
		}
		if keep[p] {
			rep.Problems = append(rep.Problems, Problem{p.path, "kept: some of its entries could not be repacked"})
			continue
		}
		if err := removeAt(pd, p.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove old pack %s: %w", p.path, err)
		}
		rep.PacksRemoved++
	}
	if fsyncOff {
		return nil
	}
	return fsyncDirHandle(pd)
}

// newPackHas reports whether the pack named name holds entry e's object.
func (s *Store) newPackHas(name string, e packEntry) (packEntry, bool) {
	if name == "" {
		return packEntry{}, false
	}
	for _, hit := range s.packLookup(e.hash, e.code) {
		if hit.p.name == name {
			return hit.e, true
		}
	}
	return packEntry{}, false
}

// modTime is the modification time of file p in nanoseconds (0 if it
// cannot be read: the order is only an aid to compression).
func modTime(p string) int64 {
	st, err := os.Lstat(p)
	if err != nil {
		return 0
	}
	return st.ModTime().UnixNano()
}

// shrinkDirs replaces each kind directory (and memo/) that packing left
// empty but large by a fresh one: a directory of ext4 and most file
// systems keeps the blocks its entries once took (48,000 states leave
// 5 MB), which would count against the disk space packing saves. The
// fresh directory is made in tmp/ and renamed over the old one, which
// rename(2) does only while the old one is empty, atomically: a writer's
// object renamed in before is found there (the rename fails, nothing
// changes), one renamed in after lands in the fresh directory. A crash
// leaves at most an empty directory in tmp/.
func (s *Store) shrinkDirs() {
	dirs := [][]string{{memoDir}}
	for _, k := range record.Kinds {
		dirs = append(dirs, []string{objectsDir, string(k)})
	}
	for _, d := range dirs {
		st, err := os.Lstat(filepath.Join(s.dir, filepath.Join(d...)))
		if err != nil || !st.IsDir() || st.Size() <= 4096 {
			continue
		}
		if ents, err := os.ReadDir(filepath.Join(s.dir, filepath.Join(d...))); err != nil || len(ents) > 0 {
			continue
		}
		s.replaceEmptyDir(d)
	}
}

// replaceEmptyDir renames a fresh directory over the empty directory d
// (names relative to the store), through the store's own directory
// handles; any failure leaves d as it is.
func (s *Store) replaceEmptyDir(d []string) {
	td, err := s.dirAt(tmpDir)
	if err != nil {
		return
	}
	defer closeDir(td)
	parent, err := s.dirAt(d[:len(d)-1]...)
	if err != nil {
		return
	}
	defer closeDir(parent)
	name := filepath.Base(tmpName("", "dir"))
	name = name[:len(name)-len(".tmp")]
	if mkdirAt(td, name) != nil {
		return
	}
	if err := renameAt(td, name, parent, d[len(d)-1]); err != nil {
		removeDirAt(td, name)
		return
	}
	if !fsyncOff {
		fsyncDirHandle(parent)
	}
}
