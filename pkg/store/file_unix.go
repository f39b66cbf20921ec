//go:build unix

package store

import (
	"io"
	"os"

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

// readSized reads file p whole into a pooled buffer (release it with
// putBuf), refusing a file larger than limit bytes with errTooLarge.
func readSized(p string, limit int64) (*[]byte, error) {
	fd, err := openFD(p, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := retry(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return nil, pathErr("stat", p, err)
	}
	if st.Size > limit {
		return nil, &tooLargeError{st.Size}
	}
	zb := getBuf(int(st.Size))
	b := *zb
	for off := 0; off < len(b); {
		var n int
		err := retry(func() (err error) {
			n, err = unix.Read(fd, b[off:])
			return err
		})
		if err != nil {
			putBuf(zb)
			return nil, pathErr("read", p, err)
		}
		if n == 0 {
			putBuf(zb)
			return nil, pathErr("read", p, io.ErrUnexpectedEOF)
		}
		off += n
	}
	return zb, nil
}

// readSmall reads a small file (a memo entry or the store's marker) whole.
func readSmall(p string) ([]byte, error) {
	zb, err := readSized(p, 1<<20)
	if err != nil {
		return nil, err
	}
	defer putBuf(zb)
	return append([]byte(nil), (*zb)...), nil
}

// createFile writes b to the new file p (which must not exist) with the
// given mode, fsyncing it if durable. A file it fails to finish is
// removed.
func createFile(p string, b []byte, mode uint32, durable bool) error {
	fd, err := openFD(p, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, mode)
	if err != nil {
		return err
	}
	op := "write"
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

// syncFile fsyncs the file p.
func syncFile(p string) error {
	fd, err := openFD(p, unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return pathErr("fsync", p, retry(func() error { return unix.Fsync(fd) }))
}
