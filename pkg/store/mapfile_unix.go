//go:build unix

package store

import (
	"os"
	"runtime"
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
	b, err = unix.Mmap(fd, 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE|mapPopulate)
	if err != nil {
		return nil, nil, pathErr("mmap", p, err)
	}
	return b, func() { unix.Munmap(b) }, nil
}

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

// mapRegion maps n bytes of file f from offset off, read-only and without
// reading them (pages come in as they are touched), for as long as owner
// is reachable; nil if the region cannot be mapped.
func mapRegion[T any](owner *T, f *os.File, off, n int64) []byte {
	if n == 0 {
		return nil
	}
	page := int64(os.Getpagesize())
	start := off &^ (page - 1)
	m, err := unix.Mmap(int(f.Fd()), start, int(off-start+n), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil
	}
	runtime.AddCleanup(owner, func(m []byte) { unix.Munmap(m) }, m)
	return m[off-start : off-start+n : off-start+n]
}
