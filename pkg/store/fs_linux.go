package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// syncfsOK reports whether syncfs(2) reports writeback errors (Linux 5.8
// and later); on older kernels it returns 0 even when writeback failed, so
// PutItems fsyncs each file instead.
var syncfsOK = kernelAtLeast(5, 8)

// syncfs makes everything written to the file system that holds
// descriptor fd durable: syncfs(2), followed by one fsync(2) of fd where
// syncfs(2) alone leaves writes in the device's volatile cache.
//
// That is the case on ext2/ext3/ext4 without a journal (this project's CI
// machine has one). sync_filesystem() in fs/sync.c runs ->sync_fs(sb, 1),
// whose cache flush is ext4's only one without a journal, and only then
// sync_blockdev(), which writes the inode table blocks that writeback
// dirtied (new files' sizes and extents: ext4_write_inode leaves them to
// "sync(2)" when called for sync). Those blocks reach the device after
// the flush, so a power cut before the next flush could keep a renamed
// name but lose its inode. The fsync of fd, with nothing of its own left
// to write, issues that flush (ext4_sync_file always flushes on a
// file system mounted with barriers). With a journal (or a log: XFS,
// btrfs, ZFS) ->sync_fs commits it, and the commit's flush covers the
// inodes.
func syncfs(fd int) error {
	if err := retry(func() error { return unix.Syncfs(fd) }); err != nil {
		return err
	}
	if flushAfterSyncfs(fd) {
		return retry(func() error { return unix.Fsync(fd) })
	}
	return nil
}

// File system magic numbers (statfs(2) f_type; linux/magic.h).
const (
	ext4Magic  = 0xef53 // ext2, ext3 and ext4
	xfsMagic   = 0x58465342
	btrfsMagic = 0x9123683e
	zfsMagic   = 0x2fc12fc1
	tmpfsMagic = 0x01021994
	ramfsMagic = 0x858458f6
)

// flushes caches, per device, whether syncfs(2) on it needs a flush after
// it (flushAfterSyncfs).
var flushes sync.Map // uint64 (st_dev) → bool

// flushAfterSyncfs reports whether syncfs(2) on the file system holding
// fd leaves writes unflushed (see syncfs). Where that cannot be told, it
// reports true: the extra flush costs a fraction of a millisecond,
// the missing one a store's consistency after a power cut.
func flushAfterSyncfs(fd int) bool {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return true
	}
	if v, ok := flushes.Load(st.Dev); ok {
		return v.(bool)
	}
	var fs unix.Statfs_t
	need := true
	if unix.Fstatfs(fd, &fs) == nil {
		need = syncfsNeedsFlush(uint32(fs.Type), func() bool { return ext4Journaled(st.Dev) })
	}
	flushes.Store(st.Dev, need)
	return need
}

// syncfsNeedsFlush decides flushAfterSyncfs for a file system of the
// given statfs(2) type; journaled tells whether an ext2/3/4 file system
// has a journal.
func syncfsNeedsFlush(magic uint32, journaled func() bool) bool {
	switch magic {
	case xfsMagic, btrfsMagic, zfsMagic, tmpfsMagic, ramfsMagic:
		return false
	case ext4Magic:
		return !journaled()
	}
	// Others (FAT, network and cluster file systems …): not known to
	// flush after their last write, so one flush more.
	return true
}

// ext4Journaled reports whether the ext2/3/4 file system on device dev
// has a journal: jbd2 lists every journal it runs as
// /proc/fs/jbd2/<device name>-<journal inode>.
func ext4Journaled(dev uint64) bool {
	link, err := os.Readlink(fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(dev), unix.Minor(dev)))
	if err != nil {
		return false
	}
	m, _ := filepath.Glob("/proc/fs/jbd2/" + filepath.Base(link) + "-*")
	return len(m) > 0
}

// kernelAtLeast reports whether the running kernel's release is at least
// major.minor.
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	parts := strings.SplitN(unix.ByteSliceToString(u.Release[:]), ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// renameNew renames the temp file tmp to dst unless dst exists, in which
// case it does nothing and reports false. renameat2(2) with
// RENAME_NOREPLACE decides atomically (two writers of one object never
// replace each other's file) and spares the lookup os.Rename makes first;
// file systems without the flag get renameNewStat.
func renameNew(tmp, dst string) (bool, error) {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EEXIST):
		return false, nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return renameNewStat(tmp, dst)
	}
	return false, &os.LinkError{Op: "rename", Old: tmp, New: dst, Err: err}
}
