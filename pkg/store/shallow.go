package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wepipe/wepipe/pkg/record"
)

// shallowDir holds one empty file per shallow snapshot (FORMAT.md §1.1).
const shallowDir = "shallow"

// MarkShallow records that snapshot h is the boundary of a history
// imported without its ancestors (a bundle without its history, FORMAT.md
// §10): its parents may be absent from the store, and readers treat them
// as the end of the history rather than as dangling references. The mark
// is durable when MarkShallow returns, so a writer marks a snapshot before
// the snapshot itself lands.
func (s *Store) MarkShallow(h record.Hash) error {
	dir := filepath.Join(s.dir, shallowDir)
	if s.IsShallow(h) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mark snapshot %s shallow: %w", h.Short(), err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("mark snapshot %s shallow: %w", h.Short(), err)
	}
	if err := writeAtomic(filepath.Join(s.dir, tmpDir), filepath.Join(dir, h.String()), nil, !fsyncOff); err != nil {
		return fmt.Errorf("mark snapshot %s shallow: %w", h.Short(), err)
	}
	return nil
}

// IsShallow reports whether snapshot h is marked shallow: its mark is a
// regular file (a link or anything else in its place is no mark, FORMAT.md
// §1.1).
func (s *Store) IsShallow(h record.Hash) bool {
	return isRegular(filepath.Join(s.dir, shallowDir, h.String()))
}

// Shallow lists the snapshots marked shallow, sorted.
func (s *Store) Shallow() ([]record.Hash, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, shallowDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []record.Hash
	for _, e := range ents {
		if h, err := record.ParseHash(e.Name()); err == nil && h.String() == e.Name() {
			out = append(out, h)
		}
	}
	return out, nil
}

// MissingParent reports whether the parent p of snapshot h is absent in a
// way the store accepts: h is shallow and p is not in the store.
func (s *Store) MissingParent(h, p record.Hash) bool {
	return s.IsShallow(h) && !s.Has(record.KindSnapshot, p)
}
