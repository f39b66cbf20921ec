package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"

	"github.com/wepipe/wepipe/pkg/record"
)

// The snapshot index, DIR/index/snapshots (FORMAT.md §1.5), holds what
// listings and lineage walks need of every snapshot, so that they do not
// decode each one (about 0.1 ms a snapshot). It is a cache: an entry is
// used only for a snapshot the store's listing holds, snapshots it lacks
// are decoded and the file rewritten, and any inconsistency in it makes it
// missing. Objects are immutable, so an entry for an existing name can
// only be wrong if the file was damaged; we-fsck compares every entry with
// its snapshot.

const (
	indexDir       = "index"
	snapIndexName  = "snapshots"
	snapIndexMagic = "wepipeix"
	// SnapIndexVersion is the version of the index's byte layout; a file
	// of another version is ignored (and rewritten), never an error.
	SnapIndexVersion = 1

	snapIndexHeader = 24
	snapIndexEntry  = 112
	snapIndexSum    = sha256.Size
	// maxSnapIndex bounds the file read: 1 GiB holds some 9 million
	// snapshots. A larger file is ignored, as a damaged one is.
	maxSnapIndex = 1 << 30
)

// SnapInfo is what the snapshot index holds about one snapshot.
type SnapInfo struct {
	Hash   record.Hash
	System record.Hash
	Cycle  uint64
	// Weight is the sum of the walkers' weights, in walker order.
	Weight  float64
	Walkers int
	Tool    string
	Shard   *record.Shard
	Parents []record.Hash
}

// InfoOf is the index entry of snapshot s, whose hash is h.
func InfoOf(h record.Hash, s *record.Snapshot) SnapInfo {
	var w float64
	for _, x := range s.Walkers {
		w += x.Weight
	}
	in := SnapInfo{Hash: h, System: s.System, Cycle: s.Cycle, Weight: w, Walkers: len(s.Walkers), Tool: s.Op.Tool, Parents: s.Parents}
	if s.Shard != nil {
		sh := *s.Shard
		in.Shard = &sh
	}
	return in
}

// Equal reports whether two entries say the same.
func (a *SnapInfo) Equal(b *SnapInfo) bool {
	if a.Hash != b.Hash || a.System != b.System || a.Cycle != b.Cycle || math.Float64bits(a.Weight) != math.Float64bits(b.Weight) ||
		a.Walkers != b.Walkers || a.Tool != b.Tool || !slices.Equal(a.Parents, b.Parents) || (a.Shard == nil) != (b.Shard == nil) {
		return false
	}
	return a.Shard == nil || *a.Shard == *b.Shard
}

// ErrBadIndex reports a snapshot index that cannot be used (readers treat
// it as missing).
var ErrBadIndex = errors.New("bad snapshot index")

func badIndex(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadIndex, fmt.Sprintf(format, a...))
}

// EncodeSnapIndex is the index file of infos (FORMAT.md §1.5). It sorts
// infos by hash; the hashes must be distinct.
func EncodeSnapIndex(infos []SnapInfo) ([]byte, error) {
	sort.Slice(infos, func(i, j int) bool { return compareHash(infos[i].Hash, infos[j].Hash) < 0 })
	np := 0
	tools := map[string]int{}
	var strs []byte
	for i := range infos {
		in := &infos[i]
		if i > 0 && infos[i-1].Hash == in.Hash {
			return nil, fmt.Errorf("snapshot index: %s listed twice", in.Hash.Short())
		}
		if in.Walkers < 0 || uint64(in.Walkers) > math.MaxUint32 {
			return nil, fmt.Errorf("snapshot index: %s: %d walkers", in.Hash.Short(), in.Walkers)
		}
		if sh := in.Shard; sh != nil && (sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count || sh.Total < 0 || sh.Count > math.MaxInt32 || sh.Total > math.MaxInt32) {
			return nil, fmt.Errorf("snapshot index: %s: shard %d/%d of %d", in.Hash.Short(), sh.Index, sh.Count, sh.Total)
		}
		np += len(in.Parents)
		if _, ok := tools[in.Tool]; !ok {
			tools[in.Tool] = len(strs)
			strs = append(strs, in.Tool...)
		}
	}
	size := uint64(snapIndexHeader) + uint64(len(infos))*snapIndexEntry + uint64(np)*32 + uint64(len(strs)) + snapIndexSum
	if size > maxSnapIndex || len(infos) > math.MaxUint32 {
		return nil, fmt.Errorf("snapshot index: %d bytes exceeds the limit of %d", size, maxSnapIndex)
	}
	b := make([]byte, 0, size)
	le := binary.LittleEndian
	b = append(b, snapIndexMagic...)
	b = le.AppendUint32(b, SnapIndexVersion)
	b = le.AppendUint32(b, uint32(len(infos)))
	b = le.AppendUint32(b, uint32(np))
	b = le.AppendUint32(b, uint32(len(strs)))
	poff := 0
	for i := range infos {
		in := &infos[i]
		b = append(b, in.Hash[:]...)
		b = append(b, in.System[:]...)
		b = le.AppendUint64(b, in.Cycle)
		b = le.AppendUint64(b, math.Float64bits(in.Weight))
		b = le.AppendUint32(b, uint32(in.Walkers))
		b = le.AppendUint32(b, uint32(poff))
		b = le.AppendUint32(b, uint32(len(in.Parents)))
		b = le.AppendUint32(b, uint32(tools[in.Tool]))
		b = le.AppendUint32(b, uint32(len(in.Tool)))
		var si, sc, st uint32
		if sh := in.Shard; sh != nil {
			si, sc, st = uint32(sh.Index), uint32(sh.Count), uint32(sh.Total)
		}
		b = le.AppendUint32(b, si)
		b = le.AppendUint32(b, sc)
		b = le.AppendUint32(b, st)
		poff += len(in.Parents)
	}
	for i := range infos {
		for _, p := range infos[i].Parents {
			b = append(b, p[:]...)
		}
	}
	b = append(b, strs...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

// DecodeSnapIndex decodes and validates an index file: its checksum,
// version, sizes, order and every offset. Any inconsistency is an error
// wrapping ErrBadIndex; memory stays bounded by len(b) whatever the file
// claims. The entries are sorted by hash and share one array of parents.
func DecodeSnapIndex(b []byte) ([]SnapInfo, error) {
	le := binary.LittleEndian
	if len(b) < snapIndexHeader+snapIndexSum || string(b[:8]) != snapIndexMagic {
		return nil, badIndex("not a snapshot index")
	}
	if v := le.Uint32(b[8:]); v != SnapIndexVersion {
		return nil, badIndex("version %d, this build reads %d", v, SnapIndexVersion)
	}
	n, np, ns := uint64(le.Uint32(b[12:])), uint64(le.Uint32(b[16:])), uint64(le.Uint32(b[20:]))
	if want := snapIndexHeader + n*snapIndexEntry + np*32 + ns + snapIndexSum; want != uint64(len(b)) {
		return nil, badIndex("%d bytes, the header implies %d", len(b), want)
	}
	body := b[:len(b)-snapIndexSum]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], b[len(body):]) {
		return nil, badIndex("checksum mismatch")
	}
	ents := body[snapIndexHeader : snapIndexHeader+n*snapIndexEntry]
	parea := body[snapIndexHeader+n*snapIndexEntry : snapIndexHeader+n*snapIndexEntry+np*32]
	strs := body[len(body)-int(ns):]
	parents := hugeSlice[record.Hash](int(np))
	for i := range parents {
		copy(parents[i][:], parea[32*i:])
	}
	out := hugeSlice[SnapInfo](int(n))
	tools := map[uint64]string{}
	for i := range out {
		e := ents[i*snapIndexEntry : (i+1)*snapIndexEntry]
		in := &out[i]
		copy(in.Hash[:], e[0:32])
		copy(in.System[:], e[32:64])
		if i > 0 && compareHash(out[i-1].Hash, in.Hash) >= 0 {
			return nil, badIndex("entry %d: not in hash order", i)
		}
		in.Cycle = le.Uint64(e[64:])
		in.Weight = math.Float64frombits(le.Uint64(e[72:]))
		in.Walkers = int(le.Uint32(e[80:]))
		poff, pn := uint64(le.Uint32(e[84:])), uint64(le.Uint32(e[88:]))
		if poff+pn > np {
			return nil, badIndex("entry %d: parents %d+%d beyond %d", i, poff, pn, np)
		}
		if pn > 0 {
			in.Parents = parents[poff : poff+pn : poff+pn]
		}
		toff, tlen := uint64(le.Uint32(e[92:])), uint64(le.Uint32(e[96:]))
		if toff+tlen > ns {
			return nil, badIndex("entry %d: tool %d+%d beyond %d", i, toff, tlen, ns)
		}
		key := toff<<32 | tlen
		t, ok := tools[key]
		if !ok {
			t = string(strs[toff : toff+tlen])
			tools[key] = t
		}
		in.Tool = t
		si, sc, st := le.Uint32(e[100:]), le.Uint32(e[104:]), le.Uint32(e[108:])
		switch {
		case sc == 0 && (si != 0 || st != 0):
			return nil, badIndex("entry %d: shard %d/0", i, si)
		case sc > math.MaxInt32 || st > math.MaxInt32 || sc > 0 && si >= sc:
			return nil, badIndex("entry %d: shard %d/%d of %d", i, si, sc, st)
		case sc > 0:
			in.Shard = &record.Shard{Index: int(si), Count: int(sc), Total: int(st)}
		}
	}
	return out, nil
}

// SnapIndexPath is the file of the snapshot index.
func (s *Store) SnapIndexPath() string { return filepath.Join(s.dir, indexDir, snapIndexName) }

// ReadSnapIndex reads and validates the snapshot index as it is, without
// listing the store: entries sorted by hash, for callers that verify what
// they take from it by reading the objects (lineage walks predict a chain
// and load it). A missing, unreadable or invalid index is an error.
func (s *Store) ReadSnapIndex() ([]SnapInfo, error) {
	b, unmap, err := mapFile(s.SnapIndexPath(), maxSnapIndex)
	if err != nil {
		if tl := (*tooLargeError)(nil); errors.As(err, &tl) {
			return nil, badIndex("%d bytes exceeds the limit of %d", tl.size, maxSnapIndex)
		}
		return nil, err
	}
	defer unmap()
	var infos []SnapInfo
	err = readMapped(func() (err error) {
		infos, err = DecodeSnapIndex(b)
		return err
	})
	if errors.Is(err, errMapFault) {
		return nil, badIndex("%v", err)
	}
	return infos, err
}

// FindInfo returns the entry for h of entries sorted by hash. Hashes
// are uniform, so it guesses the position from h's first bytes and
// searches outwards from there: a lineage walk or a listing looks up
// every snapshot, and a binary search of 20,000 entries made that a third
// of `we-ls runs`.
func FindInfo(infos []SnapInfo, h record.Hash) (*SnapInfo, bool) {
	if i := IndexOf(infos, h); i >= 0 {
		return &infos[i], true
	}
	return nil, false
}

// IndexOf is the position of h in entries sorted by hash, or -1.
func IndexOf(infos []SnapInfo, h record.Hash) int {
	n := len(infos)
	if n == 0 {
		return -1
	}
	key := binary.BigEndian.Uint64(h[:])
	g := int((key >> 32) * uint64(n) >> 32)
	// Gallop from the guess to a range [lo, hi) that holds h if anything
	// does, then search it.
	lo, hi := g, g+1
	for step := 1; lo > 0 && compareHash(infos[lo].Hash, h) > 0; step *= 2 {
		hi, lo = lo, max(lo-step, 0)
	}
	for step := 1; hi < n && compareHash(infos[hi-1].Hash, h) < 0; step *= 2 {
		lo, hi = hi-1, min(hi+step, n)
	}
	i, ok := slices.BinarySearchFunc(infos[lo:hi], h, func(a SnapInfo, h record.Hash) int { return compareHash(a.Hash, h) })
	if !ok {
		return -1
	}
	return lo + i
}

// Snapshots returns the index entry of every snapshot the store lists,
// sorted by hash, and an error for each snapshot that cannot be read
// ("load snapshot HASH: …", in hash order), which is left out. It takes
// entries from the snapshot index for the hashes the listing holds and
// decodes the others (in parallel); when it decoded any or the index
// names snapshots the store no longer holds, it rewrites the index
// (atomically; a store it cannot write to is only read). err is for the
// store as a whole (its snapshot directory cannot be listed).
func (s *Store) Snapshots() (infos []SnapInfo, bad []error, err error) {
	// Listing the directory (system calls) and reading the index (a read,
	// its checksum, decoding) take about as long: they run side by side.
	var idx []SnapInfo
	done := make(chan struct{})
	go func() {
		idx, _ = s.ReadSnapIndex()
		close(done)
	}()
	hs, err := s.List(record.KindSnapshot)
	<-done
	if err != nil {
		return nil, nil, err
	}
	if sameHashes(idx, hs) {
		return idx, nil, nil // the common case: nothing to copy or decode
	}
	infos = make([]SnapInfo, len(hs))
	var todo []int
	j := 0
	for i, h := range hs {
		for j < len(idx) && compareHash(idx[j].Hash, h) < 0 {
			j++
		}
		if j < len(idx) && idx[j].Hash == h {
			infos[i] = idx[j]
			j++
			continue
		}
		todo = append(todo, i)
	}
	errs := make([]error, len(hs))
	parallelFor(len(todo), runtime.GOMAXPROCS(0), func(t int) {
		i := todo[t]
		snap, err := LoadAs[*record.Snapshot](s, hs[i])
		if err != nil {
			errs[i] = fmt.Errorf("load snapshot %s: %w", hs[i].Short(), err)
			return
		}
		infos[i] = InfoOf(hs[i], snap)
	})
	good := infos[:0]
	for i := range infos {
		if errs[i] != nil {
			bad = append(bad, errs[i])
			continue
		}
		good = append(good, infos[i])
	}
	if len(good) != len(idx) || len(todo) > len(bad) {
		s.writeSnapIndex(good)
	}
	return good, bad, nil
}

// sameHashes reports whether the entries are those of hs, in order.
func sameHashes(infos []SnapInfo, hs []record.Hash) bool {
	if len(infos) != len(hs) {
		return false
	}
	for i := range hs {
		if infos[i].Hash != hs[i] {
			return false
		}
	}
	return true
}

// writeSnapIndex replaces the snapshot index by one of infos (sorted by
// hash), ignoring failures: the index is a cache, and a read-only store
// is listed by decoding. No fsync: a crash loses at most the cache.
func (s *Store) writeSnapIndex(infos []SnapInfo) error {
	b, err := EncodeSnapIndex(slices.Clone(infos))
	if err != nil {
		return err
	}
	err = writeAtomic(filepath.Join(s.dir, tmpDir), s.SnapIndexPath(), b, false)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(filepath.Join(s.dir, indexDir), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		err = writeAtomic(filepath.Join(s.dir, tmpDir), s.SnapIndexPath(), b, false)
	}
	return err
}
