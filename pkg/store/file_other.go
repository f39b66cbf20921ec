//go:build !unix

package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// isRegular reports whether p names a regular file itself (not through a
// symbolic link).
func isRegular(p string) bool {
	st, err := os.Lstat(p)
	return err == nil && st.Mode().IsRegular()
}

// readSized reads file p whole into a pooled buffer, refusing a file
// larger than limit bytes with a *tooLargeError and anything but a regular
// file with ErrNotRegular. Without O_NOFOLLOW and O_NONBLOCK, the file is
// looked at (lstat) before it is opened.
func readSized(p string, limit int64) (*fileBuf, error) {
	lst, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !lst.Mode().IsRegular() {
		what := "not a regular file"
		switch {
		case lst.Mode()&os.ModeSymlink != 0:
			what = "a symbolic link"
		case lst.IsDir():
			what = "a directory"
		case lst.Mode()&os.ModeNamedPipe != 0:
			what = "a FIFO"
		}
		return nil, &os.PathError{Op: "open", Path: p, Err: notRegular(what)}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(lst, st) {
		return nil, &os.PathError{Op: "open", Path: p, Err: notRegular("replaced while opened")}
	}
	if st.Size() > limit {
		return nil, &tooLargeError{st.Size()}
	}
	fb := newFileBuf(int(st.Size()))
	if _, err := io.ReadFull(f, fb.b); err != nil {
		fb.release()
		return nil, &os.PathError{Op: "read", Path: p, Err: err}
	}
	return fb, nil
}

// readSmall reads a small file (a memo entry or the store's marker) whole.
func readSmall(p string) ([]byte, error) {
	fb, err := readSized(p, 1<<20)
	if err != nil {
		return nil, err
	}
	defer fb.release()
	return append([]byte(nil), fb.b...), nil
}

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

// dirHandle is a directory of the store, by path: without openat(2),
// each component is checked not to be a link when opened (dirAt).
type dirHandle = string

func closeDir(dirHandle) {}

// dirAt returns directory path (relative to the store) after checking
// that no component is a symbolic link.
func (s *Store) dirAt(path ...string) (dirHandle, error) {
	d := s.dir
	for i, name := range path {
		d = filepath.Join(d, name)
		st, err := os.Lstat(d)
		if err != nil {
			return "", err
		}
		if !st.IsDir() {
			return "", fmt.Errorf("store %s: %s is a symbolic link or not a directory: not followed out of the store", s.dir, filepath.Join(path[:i+1]...))
		}
	}
	return d, nil
}

func entryAge(d dirHandle, name string) (time.Duration, bool, error) {
	st, err := os.Lstat(filepath.Join(d, name))
	if err != nil {
		return 0, false, err
	}
	return time.Since(st.ModTime()), st.IsDir(), nil
}

func removeAt(d dirHandle, name string) error { return os.Remove(filepath.Join(d, name)) }

func renameAt(from dirHandle, name string, to dirHandle, newName string) error {
	return os.Rename(filepath.Join(from, name), filepath.Join(to, newName))
}

func linkAt(from dirHandle, name string, to dirHandle, newName string) error {
	return os.Link(filepath.Join(from, name), filepath.Join(to, newName))
}

func mkdirAt(d dirHandle, name string) error {
	err := os.Mkdir(filepath.Join(d, name), 0o755)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	return err
}

func fsyncDirHandle(d dirHandle) error { return syncDir(d) }

// openRegularFile opens regular file p for positioned reads, refusing
// anything else as readSized does.
func openRegularFile(p string) (*os.File, int64, error) {
	lst, err := os.Lstat(p)
	if err != nil {
		return nil, 0, err
	}
	if !lst.Mode().IsRegular() {
		return nil, 0, &os.PathError{Op: "open", Path: p, Err: notRegular("not a regular file")}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil || !os.SameFile(lst, st) {
		f.Close()
		return nil, 0, &os.PathError{Op: "open", Path: p, Err: notRegular("replaced while opened")}
	}
	return f, st.Size(), nil
}

// lockDir is not supported here: every packer proceeds (one at a time is
// the user's care on such systems).
func lockDir(dir string) (unlock func(), ok bool, err error) { return func() {}, true, nil }

// removeDirAt removes the empty directory name of directory d.
func removeDirAt(d dirHandle, name string) error { return os.Remove(filepath.Join(d, name)) }

// statDir is never ok here: without a change time (ctime) a directory's
// stamp cannot tell that nothing changed in it, so the snapshot index is
// never marked complete (FORMAT.md §1.5) and listings always read the
// directory.
func statDir(p string) (dirStamp, bool) { return dirStamp{}, false }
