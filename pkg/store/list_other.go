//go:build !linux

package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/wepipe/wepipe/pkg/record"
)

// listLoose returns the hashes named by the entries of directory dir,
// ignoring every name that is not a lowercase 64-digit hash (the Linux
// build reads the directory with getdents64 instead).
func listLoose(dir string) ([]record.Hash, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	out := make([]record.Hash, 0, len(ents))
	for _, e := range ents {
		if h, ok := parseHexName([]byte(e.Name())); ok {
			out = append(out, h)
		}
	}
	return out, nil
}

func listDirError(k record.Kind, err error) error { return fmt.Errorf("list %ss: %w", k, err) }

// mapPopulate: other systems fault the pages of a mapping in one by one.
const mapPopulate = 0

// adviseHuge: transparent huge pages are Linux's.
func adviseHuge(start, end uintptr) {}
