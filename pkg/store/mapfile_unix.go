//go:build unix

package store

import (
	"errors"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// mapFile maps file p (a regular file of at most limit bytes, opened as
// openRegular does) read-only into memory, its pages populated at once
// from the page cache: reading the 3 MB snapshot index of 20,000
// snapshots into a fresh buffer cost a process more in page faults and
// copying than decoding it. Call unmap when done. A file that shrinks
// while mapped faults on access: read it under readMapped.
func mapFile(p string, limit int64) (b []byte, unmap func(), err error) {
	fd, size, err := openRegular(p)
	if err != nil {
		return nil, nil, err
	}
	defer unix.Close(fd)
	if size > limit {
		return nil, nil, &tooLargeError{size}
	}
	if size == 0 {
		return nil, func() {}, nil
	}
	b, err = unix.Mmap(fd, 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_POPULATE)
	if err != nil {
		return nil, nil, pathErr("mmap", p, err)
	}
	return b, func() { unix.Munmap(b) }, nil
}

// errMapFault reports a mapped file that changed under its reader.
var errMapFault = errors.New("the file shrank while it was read")

// readMapped runs f on the current goroutine with memory faults turned
// into a recovered error (errMapFault), so that a mapped file truncated
// by someone else (SIGBUS) makes a bad read, never a crash.
func readMapped(f func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if re, ok := r.(interface{ Addr() uintptr }); ok && re != nil {
				err = errMapFault
				return
			}
			panic(r)
		}
	}()
	return f()
}

// hugePage is the size of a transparent huge page on amd64 and arm64
// with 4 KiB pages.
const hugePage = 2 << 20

// adviseHuge asks the kernel to back the memory [start, end) (2 MiB
// aligned) with transparent huge pages, where the system leaves them to
// madvise (as Debian does). Advice only: nothing changes if the kernel
// declines.
func adviseHuge(start, end uintptr) {
	if end > start {
		unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_HUGEPAGE)
	}
}
