//go:build !unix

package store

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// readSized reads file p whole into a pooled buffer (release it with
// putBuf), refusing a file larger than limit bytes with errTooLarge.
func readSized(p string, limit int64) (*[]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, &tooLargeError{st.Size()}
	}
	zb := getBuf(int(st.Size()))
	if _, err := io.ReadFull(f, *zb); err != nil {
		putBuf(zb)
		return nil, &os.PathError{Op: "read", Path: p, Err: err}
	}
	return zb, nil
}

// readSmall reads a small file (a memo entry or the store's marker) whole.
func readSmall(p string) ([]byte, error) { return os.ReadFile(p) }

// createFile writes b to the new file p (which must not exist) with the
// given mode, fsyncing it if durable. A file it fails to finish is
// removed.
func createFile(p string, b []byte, mode uint32, durable bool) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, os.FileMode(mode))
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
	}
	return err
}

// openDir is not needed where syncfs is unavailable.
func openDir(dir string) (int, error) { return -1, errors.New("not supported") }

func closeFD(int) {}

// syncDir makes the entries of directory dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// syncFile fsyncs the file p.
func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
