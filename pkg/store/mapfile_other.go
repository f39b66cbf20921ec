//go:build !unix

package store

import "os"

// mapFile reads file p whole (no mapping on this platform).
func mapFile(p string, limit int64) ([]byte, func(), error) {
	fb, err := readSized(p, limit)
	if err != nil {
		return nil, nil, err
	}
	return fb.b, fb.release, nil
}

func readMapped(f func() error) error { return f() }

// mapRegion maps nothing here: callers read instead.
func mapRegion[T any](owner *T, f *os.File, off, n int64) []byte { return nil }
