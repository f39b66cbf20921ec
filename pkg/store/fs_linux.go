package store

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// syncfsOK reports whether syncfs(2) reports writeback errors (Linux 5.8
// and later); on older kernels it returns 0 even when writeback failed, so
// PutItems fsyncs each file instead.
var syncfsOK = kernelAtLeast(5, 8)

// syncfs calls syncfs(2) on the file system that holds descriptor fd.
func syncfs(fd int) error {
	return retry(func() error { return unix.Syncfs(fd) })
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
