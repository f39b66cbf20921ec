package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wepipe/wepipe/pkg/record"
)

// ReadMemo returns the raw content of memo entry key, if any. Memo
// entries are caches: callers must treat damaged content as a miss.
func (s *Store) ReadMemo(key [32]byte) ([]byte, bool) {
	return s.memoBytes(key)
}

// WriteMemo replaces memo entry key atomically (temp file and rename, no
// fsync: losing an entry in a crash costs a recomputation only). Its
// error names the entry and keeps the cause ("no space left on device").
func (s *Store) WriteMemo(key [32]byte, b []byte) error {
	dst := s.memoPath(key)
	err := writeAtomic(filepath.Join(s.dir, tmpDir), dst, b, false)
	if errors.Is(err, fs.ErrNotExist) {
		// A store made by an older layout without memo/: create it.
		if err := os.MkdirAll(filepath.Join(s.dir, memoDir), 0o755); err != nil {
			return fmt.Errorf("write memo entry %s: %w", dst, err)
		}
		err = writeAtomic(filepath.Join(s.dir, tmpDir), dst, b, false)
	}
	if err != nil {
		return fmt.Errorf("write memo entry %s: %w", dst, err)
	}
	return nil
}

// RemoveMemo deletes memo entry key; a missing entry is not an error.
func (s *Store) RemoveMemo(key [32]byte) error {
	err := os.Remove(s.memoPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// VerifiedMemo is the memo lookup of a stage that takes a hit as its
// result: it returns the one object memo entry key names only if that
// object is intact (it reads and verifies it as Load does), of kind k,
// accepted by check (when not nil: for a snapshot, made from the expected
// parent by the expected operation, see MadeBy), and everything it
// references exists. Anything else — no entry, a damaged or rewritten one,
// an object missing, corrupt, of another kind or made otherwise — is a
// miss: the stage computes its result again and writes it (and the entry)
// anew. A memo entry is a cache, never trusted as a fact.
func (s *Store) VerifiedMemo(key [32]byte, k record.Kind, check func(record.Object) bool) (record.Hash, bool) {
	hs, ok := s.memoHashes(key)
	if !ok || len(hs) != 1 {
		return record.Hash{}, false
	}
	o, err := s.load(k, hs[0])
	if err != nil || check != nil && !check(o) || s.CheckRefs(o) != nil {
		return record.Hash{}, false
	}
	return hs[0], true
}

// MadeBy returns a VerifiedMemo check that accepts a snapshot whose only
// parent is parent and whose op has the tool, version and parameters of
// op: the result of that operation on that input, as a stage's memo entry
// claims.
func MadeBy(parent record.Hash, op record.Op) func(record.Object) bool {
	return func(o record.Object) bool {
		sn, ok := o.(*record.Snapshot)
		if !ok || len(sn.Parents) != 1 || sn.Parents[0] != parent {
			return false
		}
		if sn.Op.Tool != op.Tool || sn.Op.Version != op.Version || len(sn.Op.Params) != len(op.Params) {
			return false
		}
		for k, v := range op.Params {
			if w, ok := sn.Op.Params[k]; !ok || w != v {
				return false
			}
		}
		return true
	}
}

// PutAfter is Put for a writer that knows some of o's references are
// intact: written lists only objects the writer has itself written
// (earlier in the batch or before) or read and verified (loaded) — never
// objects it merely saw referenced, such as the states of an input
// snapshot, which may be missing (FORMAT.md §1.2: an object is written only
// after everything it references exists). Every other reference is
// checked: a regular file of the right kind under its name (CheckRefs).
func (s *Store) PutAfter(o record.Object, written map[record.Hash]bool) (record.Hash, error) {
	it, err := s.ItemAfter(o, written)
	if err != nil {
		return it.Hash, err
	}
	return it.Hash, s.PutItems([]Item{it})
}

// ItemAfter encodes and validates o, and checks its references as
// PutAfter does (written: the same contract), for a Batch (or PutLayers)
// whose earlier layers hold the references listed in written.
func (s *Store) ItemAfter(o record.Object, written map[record.Hash]bool) (Item, error) {
	it, err := NewItem(o)
	if err != nil {
		return it, err
	}
	return it, s.checkRefs(o, written)
}
