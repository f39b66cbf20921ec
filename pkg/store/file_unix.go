//go:build unix

package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// The store's file I/O goes through plain descriptors, not os.File:
// os.File registers every descriptor with the runtime's poller, which for
// a regular file or a directory costs five more system calls per open
// (four fcntl and an epoll_ctl that fails). A pipeline cycle of 48
// walkers opens about 150 files, and on a virtual machine, where a system
// call costs microseconds, those 750 calls were a tenth of the cycle.

// retry calls f until it does not fail with EINTR.
func retry(f func() error) error {
	for {
		if err := f(); err != unix.EINTR {
			return err
		}
	}
}

func pathErr(op, p string, err error) error {
	if err == nil {
		return nil
	}
	return &os.PathError{Op: op, Path: p, Err: err}
}

func openFD(p string, flags int, mode uint32) (int, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = unix.Open(p, flags|unix.O_CLOEXEC, mode)
		return err
	})
	return fd, pathErr("open", p, err)
}

// openRegular opens file p for reading, refusing anything but a regular
// file (ErrNotRegular) without ever blocking: O_NOFOLLOW refuses a
// symbolic link in the last component, O_NONBLOCK keeps the open of a
// FIFO or a device from waiting (and O_NOCTTY a terminal from becoming
// ours), and fstat tells what was opened before a byte is read. It returns
// the descriptor and the file's size.
func openRegular(p string) (int, int64, error) {
	fd, err := openFD(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY, 0)
	if err != nil {
		// A symbolic link (ELOOP), a socket or a device without its driver
		// (ENXIO): say what it is.
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENXIO) {
			var st unix.Stat_t
			if unix.Lstat(p, &st) == nil && uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG {
				return -1, 0, &os.PathError{Op: "open", Path: p, Err: notRegular(fileType(uint32(st.Mode)))}
			}
		}
		return -1, 0, err
	}
	var st unix.Stat_t
	if err := retry(func() error { return unix.Fstat(fd, &st) }); err != nil {
		unix.Close(fd)
		return -1, 0, pathErr("stat", p, err)
	}
	if uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return -1, 0, &os.PathError{Op: "open", Path: p, Err: notRegular(fileType(uint32(st.Mode)))}
	}
	return fd, st.Size, nil
}

// fileType names the type of a file of mode m.
func fileType(m uint32) string {
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFCHR, unix.S_IFBLK:
		return "a device"
	case unix.S_IFLNK:
		return "a symbolic link"
	}
	return "not a regular file"
}

// isRegular reports whether p names a regular file itself (not through a
// symbolic link).
func isRegular(p string) bool {
	var st unix.Stat_t
	err := retry(func() error { return unix.Lstat(p, &st) })
	return err == nil && uint32(st.Mode)&unix.S_IFMT == unix.S_IFREG
}

// readSized reads file p whole into a pooled buffer, refusing a file
// larger than limit bytes with a *tooLargeError and anything but a regular
// file with ErrNotRegular (openRegular). The buffer holds fileMem until
// released.
func readSized(p string, limit int64) (*fileBuf, error) {
	fd, size, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if size > limit {
		return nil, &tooLargeError{size}
	}
	fb := newFileBuf(int(size))
	b := fb.b
	for off := 0; off < len(b); {
		var n int
		err := retry(func() (err error) {
			n, err = unix.Read(fd, b[off:])
			return err
		})
		if err != nil {
			fb.release()
			return nil, pathErr("read", p, err)
		}
		if n == 0 {
			fb.release()
			return nil, pathErr("read", p, io.ErrUnexpectedEOF)
		}
		off += n
	}
	return fb, nil
}

// readSmall reads a small file (a memo entry or the store's marker) whole,
// as readSized does.
func readSmall(p string) ([]byte, error) {
	fb, err := readSized(p, 1<<20)
	if err != nil {
		return nil, err
	}
	defer fb.release()
	return append([]byte(nil), fb.b...), nil
}

// failWrite, when set (by tests only), makes the write of a new file p
// fail with the error it returns, as a full disk would (ENOSPC).
var failWrite func(p string) error

// createFile writes b to the new file p (which must not exist) with the
// given mode, fsyncing it if durable. A file it fails to finish is
// removed.
func createFile(p string, b []byte, mode uint32, durable bool) error {
	fd, err := openFD(p, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, mode)
	if err != nil {
		return err
	}
	op := "write"
	if failWrite != nil {
		err = failWrite(p)
	}
	for off := 0; off < len(b) && err == nil; {
		var n int
		err = retry(func() (err error) {
			n, err = unix.Write(fd, b[off:])
			return err
		})
		off += n
	}
	if err == nil && durable {
		op = "sync"
		err = retry(func() error { return unix.Fsync(fd) })
	}
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		op, err = "close", cerr
	}
	if err != nil {
		unix.Unlink(p)
		return pathErr(op, p, err)
	}
	return nil
}

// openDir opens directory dir for fsync or syncfs; close it with closeFD.
func openDir(dir string) (int, error) {
	return openFD(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
}

func closeFD(fd int) { unix.Close(fd) }

// syncDir makes the entries of directory dir durable.
func syncDir(dir string) error {
	fd, err := openDir(dir)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return pathErr("fsync", dir, retry(func() error { return unix.Fsync(fd) }))
}

// syncFile fsyncs the file p (a temp file of ours: never a link followed
// or a FIFO waited for, should it have been replaced).
func syncFile(p string) error {
	fd, err := openFD(p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return pathErr("fsync", p, retry(func() error { return unix.Fsync(fd) }))
}

// dirHandle is an open directory of the store (a descriptor).
type dirHandle = int

// closeDir releases a dirHandle.
func closeDir(d dirHandle) { unix.Close(d) }

// dirAt opens directory path (names relative to the store directory) for
// removals and renames that stay in the store: each component is opened
// relative to the one before with O_NOFOLLOW, so a component replaced by
// a symbolic link (to another directory or another store) is refused,
// not followed, whenever it was replaced. The store directory itself is
// opened as given (it may be a link). Close the result with closeFD.
func (s *Store) dirAt(path ...string) (dirHandle, error) {
	fd, err := openDir(s.dir)
	if err != nil {
		return -1, err
	}
	for i, name := range path {
		var nfd int
		err := retry(func() (err error) {
			nfd, err = unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			return err
		})
		unix.Close(fd)
		if err != nil {
			rel := filepath.Join(path[:i+1]...)
			if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				return -1, fmt.Errorf("store %s: %s is a symbolic link or not a directory: not followed out of the store", s.dir, rel)
			}
			return -1, pathErr("open", filepath.Join(s.dir, rel), err)
		}
		fd = nfd
	}
	return fd, nil
}

// entryAge returns the age of entry name of directory fd (not following
// a link) and whether it is a directory.
func entryAge(fd dirHandle, name string) (time.Duration, bool, error) {
	var st unix.Stat_t
	if err := retry(func() error { return unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
		return 0, false, err
	}
	return time.Since(time.Unix(st.Mtim.Unix())), uint32(st.Mode)&unix.S_IFMT == unix.S_IFDIR, nil
}

// removeAt removes entry name (not a directory) of directory fd.
func removeAt(fd dirHandle, name string) error {
	return retry(func() error { return unix.Unlinkat(fd, name, 0) })
}

// renameAt renames entry name of directory from to newName in directory
// to, replacing what is there.
func renameAt(from dirHandle, name string, to dirHandle, newName string) error {
	return retry(func() error { return unix.Renameat(from, name, to, newName) })
}

// linkAt makes newName in directory to another name of entry name of
// directory from (a link itself, not what it points to).
func linkAt(from dirHandle, name string, to dirHandle, newName string) error {
	return retry(func() error { return unix.Linkat(from, name, to, newName, 0) })
}

// mkdirAt creates directory name in directory fd unless it exists.
func mkdirAt(fd dirHandle, name string) error {
	err := retry(func() error { return unix.Mkdirat(fd, name, 0o755) })
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}

// fsyncFD makes the entries of directory fd durable.
func fsyncDirHandle(fd dirHandle) error { return retry(func() error { return unix.Fsync(fd) }) }

// openRegularFile is openRegular as an *os.File, for the pack reader's
// positioned reads (ReadAt).
func openRegularFile(p string) (*os.File, int64, error) {
	fd, size, err := openRegular(p)
	if err != nil {
		return nil, 0, err
	}
	return os.NewFile(uintptr(fd), p), size, nil
}

// lockDir takes an exclusive advisory lock (flock) on directory dir
// without waiting: ok is false if another process holds it. The lock
// lasts until unlock is called or the process ends (a SIGKILL too).
func lockDir(dir string) (unlock func(), ok bool, err error) {
	fd, err := openFD(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, false, err
	}
	if err := retry(func() error { return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) }); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, pathErr("flock", dir, err)
	}
	return func() { unix.Close(fd) }, true, nil
}

// removeDirAt removes the empty directory name of directory fd.
func removeDirAt(fd dirHandle, name string) error {
	return retry(func() error { return unix.Unlinkat(fd, name, unix.AT_REMOVEDIR) })
}

// statDir is the stamp of directory p (FORMAT.md §1.5): a zero stamp
// and ok for a directory that does not exist, !ok if p cannot be looked
// at or is not a directory.
func statDir(p string) (st dirStamp, ok bool) {
	var s unix.Stat_t
	err := retry(func() error { return unix.Lstat(p, &s) })
	if errors.Is(err, unix.ENOENT) {
		return dirStamp{}, true
	}
	if err != nil || uint32(s.Mode)&unix.S_IFMT != unix.S_IFDIR {
		return dirStamp{}, false
	}
	return dirStamp{Ino: uint64(s.Ino), Size: uint64(s.Size), Mtime: unix.TimespecToNsec(s.Mtim), Ctime: unix.TimespecToNsec(s.Ctim)}, true
}
