package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"time"

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
	SnapIndexVersion = 2

	snapIndexHeader = 96
	snapIndexEntry  = 112
	// snapIndexSum is the trailer: the CRC-32 (IEEE, as zlib's) of the
	// bytes before it. The index is a cache that we-fsck compares with
	// the snapshots, so the checksum is there for damage, not for trust:
	// SHA-256 of a 20,000-snapshot index was a tenth of the listing.
	snapIndexSum = 4
	// snapIndexComplete is bit 0 of the header's flags: the entries are
	// every snapshot of the store when its directories had the stamps the
	// header holds.
	snapIndexComplete = 1
	// maxSnapIndex bounds the file read: 1 GiB holds some 9 million
	// snapshots. A larger file is ignored, as a damaged one is.
	maxSnapIndex = 1 << 30
)

// settleMargin is how long before the moment a writer stamped the
// directories their last change must lie for it to mark the index
// complete (FORMAT.md §1.5): a change made after the stamp within the
// same tick of the file system's clock would leave the stamp as it was,
// and a tick is at most a few milliseconds on Linux, 1 s or 2 s on file
// systems with coarse times. Tests change it.
var settleMargin = 2 * time.Second

// dirStamp is what stat says of a directory (FORMAT.md §1.5): its inode
// number, size, and modification and change times in nanoseconds. Adding,
// removing or renaming an entry changes the times; replacing the directory
// changes the inode. The zero stamp stands for a missing directory.
type dirStamp struct {
	Ino, Size    uint64
	Mtime, Ctime int64
}

// snapStamps are the stamps of objects/snapshot/ and packs/, the two
// directories whose entries are the store's snapshots.
type snapStamps [2]dirStamp

// stampSnapshots stamps the directories that hold snapshots; ok is false
// where the stamps cannot tell that nothing changed (no change time on
// this system, a directory that cannot be looked at).
func (s *Store) stampSnapshots() (st snapStamps, ok bool) {
	var ok1, ok2 bool
	st[0], ok1 = statDir(s.kindDir(record.KindSnapshot))
	st[1], ok2 = statDir(filepath.Join(s.dir, packsDir))
	return st, ok1 && ok2 && st[0] != (dirStamp{})
}

// settled reports whether neither directory changed at or after
// settleMargin before fsNow, a moment on the file system's clock.
func (st *snapStamps) settled(fsNow int64) bool {
	for _, d := range st {
		if d != (dirStamp{}) && max(d.Mtime, d.Ctime) >= fsNow-settleMargin.Nanoseconds() {
			return false
		}
	}
	return true
}

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

// EncodeSnapIndex is an index file of infos (FORMAT.md §1.5) that claims
// nothing of the store: its flags and stamps are zero. It sorts infos by
// hash; the hashes must be distinct.
func EncodeSnapIndex(infos []SnapInfo) ([]byte, error) {
	return encodeSnapIndex(infos, snapStamps{}, false)
}

// encodeSnapIndex is the index file of infos, with the stamps of the
// directories they were listed from, marked complete if complete.
func encodeSnapIndex(infos []SnapInfo, stamps snapStamps, complete bool) ([]byte, error) {
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
	var flags uint32
	if complete {
		flags |= snapIndexComplete
	} else {
		stamps = snapStamps{} // claims nothing
	}
	b = le.AppendUint32(b, flags)
	b = le.AppendUint32(b, 0)
	for _, d := range stamps {
		b = le.AppendUint64(b, d.Ino)
		b = le.AppendUint64(b, d.Size)
		b = le.AppendUint64(b, uint64(d.Mtime))
		b = le.AppendUint64(b, uint64(d.Ctime))
	}
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
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// SnapIndex is a snapshot index file read in place (FORMAT.md §1.5),
// validated whole by ParseSnapIndex: its accessors index entries 0 …
// Len()−1 without further checks. It refers to the bytes it was parsed
// from.
type SnapIndex struct {
	n     int
	ents  []byte
	parea []byte
	strs  []byte
	// toolKeys are the distinct (offset<<32 | length) of the entries'
	// tools, toolStrs the names: an index holds a handful, so Tool scans
	// them (a map lookup a row was a tenth of formatting a listing).
	toolKeys []uint64
	toolStrs []string
	toolMap  map[uint64]int // toolKeys' positions, once there are many
	complete bool
	stamps   snapStamps
}

// ParseSnapIndex validates an index file: its checksum, version, sizes,
// flags, order and every offset. Any inconsistency is an error wrapping
// ErrBadIndex; memory stays bounded by len(b) whatever the file claims.
func ParseSnapIndex(b []byte) (*SnapIndex, error) {
	le := binary.LittleEndian
	if len(b) < 12 || string(b[:8]) != snapIndexMagic {
		return nil, badIndex("not a snapshot index")
	}
	if v := le.Uint32(b[8:]); v != SnapIndexVersion {
		return nil, badIndex("version %d, this build reads %d", v, SnapIndexVersion)
	}
	if len(b) < snapIndexHeader+snapIndexSum {
		return nil, badIndex("%d bytes, shorter than a header", len(b))
	}
	n, np, ns := uint64(le.Uint32(b[12:])), uint64(le.Uint32(b[16:])), uint64(le.Uint32(b[20:]))
	if want := snapIndexHeader + n*snapIndexEntry + np*32 + ns + snapIndexSum; want != uint64(len(b)) {
		return nil, badIndex("%d bytes, the header implies %d", len(b), want)
	}
	body := b[:len(b)-snapIndexSum]
	if crc32.ChecksumIEEE(body) != le.Uint32(b[len(body):]) {
		return nil, badIndex("checksum mismatch")
	}
	flags := le.Uint32(b[24:])
	if flags&^snapIndexComplete != 0 || le.Uint32(b[28:]) != 0 {
		return nil, badIndex("unknown flags %#x", flags&^snapIndexComplete)
	}
	x := &SnapIndex{
		n:        int(n),
		ents:     body[snapIndexHeader : snapIndexHeader+n*snapIndexEntry],
		parea:    body[snapIndexHeader+n*snapIndexEntry : snapIndexHeader+n*snapIndexEntry+np*32],
		strs:     body[len(body)-int(ns):],
		complete: flags&snapIndexComplete != 0,
	}
	x.stamps = decodeStamps(b)
	if !x.complete && x.stamps != (snapStamps{}) {
		return nil, badIndex("stamps in an index that is not complete")
	}
	var toolBytes uint64
	for i := 0; i < x.n; i++ {
		e := x.ents[i*snapIndexEntry : (i+1)*snapIndexEntry]
		if i > 0 && bytes.Compare(x.ents[(i-1)*snapIndexEntry:(i-1)*snapIndexEntry+32], e[:32]) >= 0 {
			return nil, badIndex("entry %d: not in hash order", i)
		}
		poff, pn := uint64(le.Uint32(e[84:])), uint64(le.Uint32(e[88:]))
		if poff+pn > np {
			return nil, badIndex("entry %d: parents %d+%d beyond %d", i, poff, pn, np)
		}
		toff, tlen := uint64(le.Uint32(e[92:])), uint64(le.Uint32(e[96:]))
		if toff+tlen > ns {
			return nil, badIndex("entry %d: tool %d+%d beyond %d", i, toff, tlen, ns)
		}
		if key := toff<<32 | tlen; x.toolAt(key) < 0 {
			// Distinct names are copied: bounded by the strings area,
			// else overlapping ranges could claim its size squared.
			if toolBytes += tlen; toolBytes > ns {
				return nil, badIndex("entry %d: the distinct tools' lengths exceed the strings area", i)
			}
			x.toolKeys = append(x.toolKeys, key)
			x.toolStrs = append(x.toolStrs, string(x.strs[toff:toff+tlen]))
			switch {
			case x.toolMap != nil:
				x.toolMap[key] = len(x.toolKeys) - 1
			case len(x.toolKeys) > 16:
				x.toolMap = make(map[uint64]int, 32)
				for j, k := range x.toolKeys {
					x.toolMap[k] = j
				}
			}
		}
		si, sc, st := le.Uint32(e[100:]), le.Uint32(e[104:]), le.Uint32(e[108:])
		switch {
		case sc == 0 && (si != 0 || st != 0):
			return nil, badIndex("entry %d: shard %d/0", i, si)
		case sc > math.MaxInt32 || st > math.MaxInt32 || sc > 0 && si >= sc:
			return nil, badIndex("entry %d: shard %d/%d of %d", i, si, sc, st)
		}
	}
	return x, nil
}

// Len is the number of entries.
func (x *SnapIndex) Len() int { return x.n }

func (x *SnapIndex) ent(i int) []byte { return x.ents[i*snapIndexEntry : (i+1)*snapIndexEntry] }

// HashBytes is entry i's snapshot hash, in the file's bytes.
func (x *SnapIndex) HashBytes(i int) []byte { return x.ent(i)[0:32:32] }

// Hash is entry i's snapshot hash.
func (x *SnapIndex) Hash(i int) (h record.Hash) {
	copy(h[:], x.ent(i))
	return h
}

// System is entry i's system.
func (x *SnapIndex) System(i int) (h record.Hash) {
	copy(h[:], x.ent(i)[32:])
	return h
}

// Cycle is entry i's cycle.
func (x *SnapIndex) Cycle(i int) uint64 { return binary.LittleEndian.Uint64(x.ent(i)[64:]) }

// Weight is the sum of entry i's walkers' weights.
func (x *SnapIndex) Weight(i int) float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(x.ent(i)[72:]))
}

// Walkers is entry i's number of walkers.
func (x *SnapIndex) Walkers(i int) int { return int(binary.LittleEndian.Uint32(x.ent(i)[80:])) }

// Tool is the tool that made entry i's snapshot.
func (x *SnapIndex) Tool(i int) string {
	e := x.ent(i)
	return x.toolStrs[x.toolAt(uint64(binary.LittleEndian.Uint32(e[92:]))<<32|uint64(binary.LittleEndian.Uint32(e[96:])))]
}

// toolAt is the position of key among toolKeys, or -1.
func (x *SnapIndex) toolAt(key uint64) int {
	if x.toolMap != nil {
		if j, ok := x.toolMap[key]; ok {
			return j
		}
		return -1
	}
	for j, k := range x.toolKeys {
		if k == key {
			return j
		}
	}
	return -1
}

// Shard is entry i's shard, if its snapshot is one.
func (x *SnapIndex) Shard(i int) (record.Shard, bool) {
	e := x.ent(i)
	le := binary.LittleEndian
	if sc := le.Uint32(e[104:]); sc > 0 {
		return record.Shard{Index: int(le.Uint32(e[100:])), Count: int(sc), Total: int(le.Uint32(e[108:]))}, true
	}
	return record.Shard{}, false
}

// NumParents is the number of entry i's parents.
func (x *SnapIndex) NumParents(i int) int { return int(binary.LittleEndian.Uint32(x.ent(i)[88:])) }

// ParentBytes is entry i's parent k, in the file's bytes.
func (x *SnapIndex) ParentBytes(i, k int) []byte {
	o := 32 * (int(binary.LittleEndian.Uint32(x.ent(i)[84:])) + k)
	return x.parea[o : o+32 : o+32]
}

// Info is entry i as a SnapInfo.
func (x *SnapIndex) Info(i int) SnapInfo {
	parents := make([]record.Hash, x.NumParents(i))
	for k := range parents {
		copy(parents[k][:], x.ParentBytes(i, k))
	}
	return x.info(i, parents)
}

// info is entry i with parents (nil if none) as its parents.
func (x *SnapIndex) info(i int, parents []record.Hash) SnapInfo {
	in := SnapInfo{Hash: x.Hash(i), System: x.System(i), Cycle: x.Cycle(i), Weight: x.Weight(i), Walkers: x.Walkers(i), Tool: x.Tool(i)}
	if sh, ok := x.Shard(i); ok {
		in.Shard = &sh
	}
	if len(parents) > 0 {
		in.Parents = parents
	}
	return in
}

// infos decodes every entry; the entries share one array of parents.
func (x *SnapIndex) infos() []SnapInfo {
	parents := hugeSlice[record.Hash](len(x.parea) / 32)
	for i := range parents {
		copy(parents[i][:], x.parea[32*i:])
	}
	out := hugeSlice[SnapInfo](x.n)
	for i := range out {
		off, np := binary.LittleEndian.Uint32(x.ent(i)[84:]), uint32(x.NumParents(i))
		out[i] = x.info(i, parents[off:off+np:off+np])
	}
	return out
}

// DecodeSnapIndex decodes and validates an index file (ParseSnapIndex):
// the entries sorted by hash, sharing one array of parents.
func DecodeSnapIndex(b []byte) ([]SnapInfo, error) {
	x, err := ParseSnapIndex(b)
	if err != nil {
		return nil, err
	}
	return x.infos(), nil
}

// SnapIndexPath is the file of the snapshot index.
func (s *Store) SnapIndexPath() string { return filepath.Join(s.dir, indexDir, snapIndexName) }

// withSnapIndex maps the snapshot index and runs f on the mapped bytes,
// with a file truncated under it (SIGBUS) made an error wrapping
// ErrBadIndex. A missing, unreadable or oversized index is an error.
func (s *Store) withSnapIndex(f func(b []byte) error) error {
	b, unmap, err := mapFile(s.SnapIndexPath(), maxSnapIndex)
	if err != nil {
		if tl := (*tooLargeError)(nil); errors.As(err, &tl) {
			return badIndex("%d bytes exceeds the limit of %d", tl.size, maxSnapIndex)
		}
		return err
	}
	defer unmap()
	err = readMapped(func() error { return f(b) })
	if errors.Is(err, errMapFault) {
		return badIndex("%v", err)
	}
	return err
}

// ReadSnapIndex reads and validates the snapshot index as it is, without
// listing the store: entries sorted by hash, for callers that verify what
// they take from it by reading the objects (lineage walks predict a chain
// and load it). A missing, unreadable or invalid index is an error.
func (s *Store) ReadSnapIndex() ([]SnapInfo, error) {
	var infos []SnapInfo
	err := s.withSnapIndex(func(b []byte) error {
		x, err := ParseSnapIndex(b)
		if err == nil {
			infos = x.infos()
		}
		return err
	})
	return infos, err
}

// FindInfo returns the entry for h of entries sorted by hash.
func FindInfo(infos []SnapInfo, h record.Hash) (*SnapInfo, bool) {
	if i := IndexOf(infos, h); i >= 0 {
		return &infos[i], true
	}
	return nil, false
}

// IndexOf is the position of h in entries sorted by hash, or -1.
func IndexOf(infos []SnapInfo, h record.Hash) int {
	i := lowerBound(len(infos), func(i int) []byte { return infos[i].Hash[:] }, h)
	if i < len(infos) && infos[i].Hash == h {
		return i
	}
	return -1
}

// lowerBound is the first i in [0, n) whose hash at(i) is at least h, or
// n, of n hashes sorted bytewise. A lineage walk, a listing of runs or a
// pack lookup searches for every snapshot or object, and a binary search
// of 20,000 entries made that a third of `we-ls runs`. Hashes are
// uniform: it guesses where h would lie among n evenly spaced hashes,
// then steps from each probe by as many entries as the hashes' first 8
// bytes differ by at that spacing (interpolation search, Perl, Itai and
// Avni, CACM 21, 1978, made local), so that its few probes fall on the
// same pages of a mapped pack index; after six it halves, so that
// crafted hashes (an index is untrusted) cost no more than a binary
// search. Unsorted hashes give a wrong answer in [0, n], never an index
// out of range.
func lowerBound(n int, at func(int) []byte, h record.Hash) int {
	// spaced is d hashes' worth of keys at n hashes per 2⁶⁴.
	spaced := func(d uint64) int {
		q, _ := bits.Mul64(d, uint64(n))
		return int(q)
	}
	k := binary.BigEndian.Uint64(h[:])
	lo, hi := 0, n // the answer is in [lo, hi]
	m := spaced(k)
	for probe := 0; lo < hi; probe++ {
		m = min(max(m, lo), hi-1)
		b := at(m)
		km := binary.BigEndian.Uint64(b)
		if bytes.Compare(b, h[:]) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
		switch {
		case probe >= 5:
			m = lo + (hi-lo)/2
		case km < k:
			m += spaced(k - km)
		default:
			m -= spaced(km - k)
		}
	}
	return lo
}

// Snapshots returns the index entry of every snapshot the store lists,
// sorted by hash, and an error for each snapshot that cannot be read
// ("load snapshot HASH: …", in hash order), which is left out. When the
// snapshot index is complete and current (FORMAT.md §1.5) it is all that
// is read; otherwise Snapshots lists the store, takes entries from the
// index for the hashes the listing holds and decodes the others (in
// parallel), and when it decoded any, the index names snapshots the store
// no longer holds, or the index could now be marked complete, it rewrites
// the index (atomically; a store it cannot write to is only read). err
// is for the store as a whole (its snapshot directory cannot be listed).
func (s *Store) Snapshots() (infos []SnapInfo, bad []error, err error) {
	var fromIndex []SnapInfo
	infos, bad, used, err := s.listSnapshots(func(x *SnapIndex) error {
		fromIndex = x.infos()
		return nil
	})
	if used {
		return fromIndex, nil, err
	}
	return infos, bad, err
}

// ViewSnapshots runs f on an index of every snapshot the store lists,
// sorted by hash, and returns, as Snapshots does, an error for each
// snapshot that cannot be read (left out of it). f reads the index file
// itself, mapped, when it holds exactly the store's snapshots — read
// alone when it is complete and current, else beside a listing of the
// store — and otherwise an index made in memory from what Snapshots
// returns. f must not keep x, or the bytes its accessors return, past its
// return. An error of f is returned as err.
func (s *Store) ViewSnapshots(f func(x *SnapIndex) error) (bad []error, err error) {
	infos, bad, used, err := s.listSnapshots(f)
	if used || err != nil {
		return bad, err
	}
	b, err := EncodeSnapIndex(infos)
	if err != nil {
		return bad, err
	}
	x, err := ParseSnapIndex(b)
	if err != nil {
		return bad, err
	}
	return bad, f(x)
}

// listSnapshots runs fresh on the snapshot index if it is complete and
// current: its writer marked it complete and the directories that hold
// snapshots have the stamps it records (FORMAT.md §1.5); nothing else is
// read. Otherwise it lists the store, and if the index holds exactly the
// listed snapshots (as between two snapshots of a run), runs fresh on it
// too. In both cases used is true and err is fresh's. Otherwise it takes
// what it can from the index, decodes the rest, and returns the entries
// and the unreadable snapshots as Snapshots says.
func (s *Store) listSnapshots(fresh func(x *SnapIndex) error) (infos []SnapInfo, bad []error, used bool, err error) {
	// Stamped before anything is listed: a snapshot added after this
	// changes the directory, and the stamp no longer matches.
	stamps, stampOK := s.stampSnapshots()
	at := time.Now()
	var idx *SnapIndex
	var idxInfos []SnapInfo
	done := make(chan struct{})
	var b []byte
	unmap := func() {}
	mb, mu, merr := mapFile(s.SnapIndexPath(), maxSnapIndex)
	if merr == nil {
		b, unmap = mb, mu
	}
	defer unmap()
	if stampOK && headerCurrent(b, stamps) {
		err := readMapped(func() error {
			x, perr := ParseSnapIndex(b)
			if perr != nil {
				return nil // damaged: listed the long way, and rewritten
			}
			used = true
			return fresh(x)
		})
		if used {
			if errors.Is(err, errMapFault) {
				err = badIndex("%v", err)
			}
			return nil, nil, true, err
		}
	}
	// Listing the directory (system calls) and checking the index take
	// about as long: they run side by side.
	go func() {
		defer close(done)
		readMapped(func() error {
			idx, _ = ParseSnapIndex(b)
			return nil
		})
	}()
	hs, err := s.List(record.KindSnapshot)
	<-done
	if err != nil {
		return nil, nil, false, err
	}
	if idx != nil {
		// The index current (the listing holds exactly its hashes), as
		// it is during a run between two snapshots: it serves the
		// listing, and is rewritten only to be marked complete.
		err := readMapped(func() error {
			if !idx.holdsExactly(hs) {
				idxInfos = idx.infos()
				return nil
			}
			used = true
			if stampOK && (!idx.complete || idx.stamps != stamps) && s.settledSince(stamps, at) {
				s.writeSnapIndex(idx.infos(), stamps, at, false)
			}
			return fresh(idx)
		})
		switch {
		case used && errors.Is(err, errMapFault):
			return nil, nil, true, badIndex("%v", err)
		case used:
			return nil, nil, true, err
		case err != nil:
			// Truncated under us before anything was taken from it: as
			// if there were none.
			idx, idxInfos = nil, nil
		}
	}
	infos = make([]SnapInfo, len(hs))
	var todo []int
	j := 0
	for i, h := range hs {
		for j < len(idxInfos) && compareHash(idxInfos[j].Hash, h) < 0 {
			j++
		}
		if j < len(idxInfos) && idxInfos[j].Hash == h {
			infos[i] = idxInfos[j]
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
	if idx == nil || len(good) != len(idxInfos) || len(todo) > len(bad) {
		if !stampOK || len(bad) > 0 {
			// An index that lacks an unreadable snapshot must not be
			// taken for the whole listing, which reports it.
			stamps = snapStamps{}
		}
		s.writeSnapIndex(good, stamps, at, true)
	}
	return good, bad, false, nil
}

// headerCurrent reports whether index file b says it is complete and
// records stamps, reading its header only (the checksum is checked after).
func headerCurrent(b []byte, stamps snapStamps) bool {
	if len(b) < snapIndexHeader || string(b[:8]) != snapIndexMagic || binary.LittleEndian.Uint32(b[8:]) != SnapIndexVersion ||
		binary.LittleEndian.Uint32(b[24:])&snapIndexComplete == 0 {
		return false
	}
	return decodeStamps(b) == stamps
}

// decodeStamps are the stamps in the header of index file b (at least a
// header long).
func decodeStamps(b []byte) (st snapStamps) {
	le := binary.LittleEndian
	for d := range st {
		o := b[32+32*d:]
		st[d] = dirStamp{Ino: le.Uint64(o), Size: le.Uint64(o[8:]), Mtime: int64(le.Uint64(o[16:])), Ctime: int64(le.Uint64(o[24:]))}
	}
	return st
}

// holdsExactly reports whether the entries are those of hs, in order.
func (x *SnapIndex) holdsExactly(hs []record.Hash) bool {
	if x.n != len(hs) {
		return false
	}
	for i := range hs {
		if !bytes.Equal(x.HashBytes(i), hs[i][:]) {
			return false
		}
	}
	return true
}

// writeSnapIndex replaces the snapshot index by one of infos (sorted by
// hash), ignoring failures: the index is a cache, and a read-only store
// is listed by decoding. No fsync: a crash loses at most the cache.
// stamps are those of the directories infos were listed from, taken at
// local time at before the listing (zero: no claim); the index is marked
// complete if they had settled then (settledSince). Unless force is set
// (its entries change), it is written only if it can be marked complete.
func (s *Store) writeSnapIndex(infos []SnapInfo, stamps snapStamps, at time.Time, force bool) error {
	complete := stamps != (snapStamps{}) && s.settledSince(stamps, at)
	if !complete {
		stamps = snapStamps{}
		if !force {
			return nil
		}
	}
	b, err := encodeSnapIndex(slices.Clone(infos), stamps, complete)
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

// settledSince reports whether directories with stamps, taken at local
// time at, had settled then (FORMAT.md §1.5), the moment taken on the
// file system's clock: fsNow less the time elapsed since at.
func (s *Store) settledSince(stamps snapStamps, at time.Time) bool {
	now, ok := s.fsNow()
	return ok && stamps.settled(now-time.Since(at).Nanoseconds())
}

// fsNow is the time now on the clock of the file system that holds the
// store: the modification time of a file it creates in tmp/ (and
// removes), which is the directories' clock even where the file system
// is another machine's (NFS).
func (s *Store) fsNow() (int64, bool) {
	p := tmpName(filepath.Join(s.dir, tmpDir), "clock")
	if err := createFile(p, nil, 0o644, false); err != nil {
		return 0, false
	}
	defer os.Remove(p)
	fi, err := os.Lstat(p)
	if err != nil {
		return 0, false
	}
	return fi.ModTime().UnixNano(), true
}
