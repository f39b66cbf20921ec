package store

import (
	"encoding/hex"
	"os"
	"path/filepath"
)

// ReadMemo returns the raw content of memo entry key, if any. Memo
// entries are caches: callers must treat damaged content as a miss.
func (s *Store) ReadMemo(key [32]byte) ([]byte, bool) {
	b, err := os.ReadFile(filepath.Join(s.dir, memoDir, hex.EncodeToString(key[:])))
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
