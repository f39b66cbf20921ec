//go:build linux

package store

import (
	"errors"
	"fmt"
	"io/fs"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wepipe/wepipe/pkg/record"
)

// listLoose returns the hashes named by the entries of directory dir
// (the loose objects of one kind), in directory order, ignoring every
// name that is not a lowercase 64-digit hash. It reads the directory with
// getdents64 into one large buffer and parses names in place: os.ReadDir
// allocates a string and a DirEntry per name, which for the 20,000
// snapshots of a long run was most of `we-ls snapshots` once the snapshot
// index (FORMAT.md §1.5) spared it decoding them.
func listLoose(dir string) ([]record.Hash, error) {
	fd, err := openFD(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, 256<<10)
	// Room for every name from the start (a directory's size is about 20
	// bytes a name on tmpfs, more on disk file systems): growing the list
	// by doubling touched twice the memory, and fresh pages cost a page
	// fault each. Pages reserved and never used cost nothing.
	var st unix.Stat_t
	var out []record.Hash
	if unix.Fstat(fd, &st) == nil && st.Size > 0 {
		out = hugeSlice[record.Hash](int(min(st.Size/20+64, 1<<20)))[:0]
	}
	for {
		var n int
		err := retry(func() (err error) {
			n, err = unix.Getdents(fd, buf)
			return err
		})
		if err != nil {
			return nil, pathErr("getdents", dir, err)
		}
		if n <= 0 {
			return out, nil
		}
		out = parseDirents(buf[:n], out)
	}
}

// direntHeader is the fixed part of a linux_dirent64: inode (8), offset
// (8), record length (2), type (1); the name follows, NUL-terminated.
const direntHeader = 19

// parseDirents appends the hashes named by the records of b.
func parseDirents(b []byte, out []record.Hash) []record.Hash {
	for len(b) >= direntHeader {
		reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
		if reclen < direntHeader || reclen > len(b) {
			break
		}
		name := b[direntHeader:reclen]
		if len(name) > 64 && name[64] == 0 {
			if h, ok := parseHexName(name[:64]); ok {
				out = append(out, h)
			}
		}
		b = b[reclen:]
	}
	return out
}

// listDirError wraps a listing failure as List always has.
func listDirError(k record.Kind, err error) error { return fmt.Errorf("list %ss: %w", k, err) }

// mapPopulate has mmap fill the page table at once: one system call
// instead of a page fault per 4 KiB of a mapped index.
const mapPopulate = unix.MAP_POPULATE

// adviseHuge asks the kernel to back the memory [start, end) (2 MiB
// aligned) with transparent huge pages, where the system leaves them to
// madvise (as Debian does). Advice only: nothing changes if the kernel
// declines.
func adviseHuge(start, end uintptr) {
	if end > start {
		unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_HUGEPAGE)
	}
}
