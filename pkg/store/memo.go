package store

import (
	"encoding/hex"
	"os"
	"path/filepath"

	"github.com/wepipe/wepipe/pkg/record"
)

// ReadMemo returns the raw content of memo entry key, if any. Memo
// entries are caches: callers must treat damaged content as a miss.
func (s *Store) ReadMemo(key [32]byte) ([]byte, bool) {
	b, err := readSmall(filepath.Join(s.dir, memoDir, hex.EncodeToString(key[:])))
	if err != nil {
		return nil, false
	}
	return b, true
}

// WriteMemo replaces memo entry key atomically (temp file and rename, no
// fsync: losing an entry in a crash costs a recomputation only).
func (s *Store) WriteMemo(key [32]byte, b []byte) error {
	dst := filepath.Join(s.dir, memoDir, hex.EncodeToString(key[:]))
	err := writeAtomic(filepath.Join(s.dir, tmpDir), dst, b, false)
	if os.IsNotExist(err) {
		if err := os.MkdirAll(filepath.Join(s.dir, memoDir), 0o755); err != nil {
			return err
		}
		err = writeAtomic(filepath.Join(s.dir, tmpDir), dst, b, false)
	}
	return err
}

// RemoveMemo deletes memo entry key; a missing entry is not an error.
func (s *Store) RemoveMemo(key [32]byte) error {
	err := os.Remove(filepath.Join(s.dir, memoDir, hex.EncodeToString(key[:])))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// PutAfter is Put for a writer that knows some of o's references exist:
// written lists them, and only the other references are checked for
// existence (we-resample's snapshot references the input's 48 states;
// checking them again would cost a lookup each).
func (s *Store) PutAfter(o record.Object, written map[record.Hash]bool) (record.Hash, error) {
	it, err := s.ItemAfter(o, written)
	if err != nil {
		return it.Hash, err
	}
	return it.Hash, s.PutItems([]Item{it})
}

// ItemAfter encodes and validates o, and checks its references as
// PutAfter does, for a Batch (or PutLayers) whose earlier layers hold the
// references listed in written.
func (s *Store) ItemAfter(o record.Object, written map[record.Hash]bool) (Item, error) {
	it, err := NewItem(o)
	if err != nil {
		return it, err
	}
	return it, s.checkRefs(o, written)
}
