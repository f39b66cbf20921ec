package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"

	"github.com/wepipe/wepipe/pkg/record"
)

// checkedPacked is a packed object that verified, for Check's counts and
// reference checks.
type checkedPacked struct {
	hash record.Hash
	kind record.Kind
	size int64
	refs []typedRef
	info *SnapInfo // a snapshot's, for the snapshot index
}

// checkPacks verifies every pack (FORMAT.md §1.6): a pack whose header,
// trailer or index fails is reported as a whole (its objects cannot be
// located); every other entry is read and verified — an object re-hashed,
// decoded and checked to be of its kind, a memo entry parsed — and a
// failure reported as the pack and the object it hits. A loose copy of a
// packed object is read first, so it is counted once, as loose.
func (s *Store) checkPacks(add func(Problem)) []checkedPacked {
	packs, broken := s.packs()
	for _, b := range broken {
		add(Problem{b.Path, b.Err.Error()})
	}
	var out []checkedPacked
	for _, p := range packs {
		if err := packNameOK(p); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			add(Problem{p.path, err.Error()})
		}
		res := make([]checkedPacked, p.count())
		ok := make([]bool, p.count())
		parallelFor(p.count(), runtime.GOMAXPROCS(0), func(i int) {
			e := p.entry(i)
			data, err := readPackEntry(p, e)
			if errors.Is(err, fs.ErrNotExist) {
				return // the pack was removed meanwhile (a repack, whose new pack holds its objects)
			}
			if err == nil && e.code == packKindMemo && !packableMemo(data) {
				err = fmt.Errorf("not a memo entry of object hashes")
			}
			var o record.Object
			if err == nil && e.code != packKindMemo {
				o, err = verifyDecode(data, e.kind(), e.hash)
			}
			if err != nil {
				add(Problem{packObjectPath(p.path, e), err.Error()})
				return
			}
			if e.code == packKindMemo || isRegular(s.Path(e.kind(), e.hash)) {
				return // a memo entry; or shadowed: counted as loose
			}
			res[i], ok[i] = checkedPacked{hash: e.hash, kind: e.kind(), size: int64(len(data)), refs: typedRefs(o)}, true
			if sn, isSnap := o.(*record.Snapshot); isSnap {
				info := InfoOf(e.hash, sn)
				res[i].info = &info
			}
		})
		seen := map[record.Hash]bool{}
		for i, r := range res {
			if ok[i] && !seen[r.hash] {
				seen[r.hash] = true
				out = append(out, r)
			}
		}
	}
	// An object in two packs (an interrupted we-pack --all) counts once.
	dedup := map[record.Hash]bool{}
	w := 0
	for _, r := range out {
		if !dedup[r.hash] {
			dedup[r.hash] = true
			out[w] = r
			w++
		}
	}
	return out[:w]
}

// shadowed counts the loose objects that a pack holds too.
func (s *Store) shadowed() int {
	packs, _ := s.packs()
	n := 0
	for _, p := range packs {
		for i := 0; i < p.count(); i++ {
			if e := p.entry(i); e.code != packKindMemo && isRegular(s.Path(e.kind(), e.hash)) {
				n++
			}
		}
	}
	return n
}

// packBytes is the size of the pack files.
func (s *Store) packBytes() int64 {
	packs, _ := s.packs()
	var n int64
	for _, p := range packs {
		n += p.size
	}
	return n
}

// packCount is the number of pack files.
func (s *Store) packCount() int {
	packs, broken := s.packs()
	return len(packs) + len(broken)
}

// packNameOK checks that pack p's file hashes to its name (FORMAT.md
// §1.6). Readers need not: every object is verified on its own; a
// checker does, so that a damaged pack is found whichever bytes are hit.
func packNameOK(p *pack) error {
	f, _, err := openRegularFile(p.path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if fmt.Sprintf("%x%s", h.Sum(nil), packSuffix) != p.name {
		return errors.New("the file does not hash to its name (damaged; its objects are checked one by one)")
	}
	return nil
}
