//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package store

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// syncfsOK reports whether syncfs(2) reports writeback errors (Linux 5.8
// and later); on older kernels it returns 0 even when writeback failed, so
// PutItems fsyncs each file instead.
var syncfsOK = kernelAtLeast(5, 8)

// syncfs calls syncfs(2) on the file system that holds f.
func syncfs(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		for {
			_, _, e := syscall.Syscall(sysSyncfs, fd, 0, 0)
			if e == syscall.EINTR {
				continue
			}
			if e != 0 {
				serr = e
			}
			return
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// kernelAtLeast reports whether the running kernel's release is at least
// major.minor.
func kernelAtLeast(major, minor int) bool {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return false
	}
	parts := strings.SplitN(strings.TrimSpace(string(b)), ".", 3)
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
