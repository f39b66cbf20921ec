package store

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSyncfsNeedsFlush(t *testing.T) {
	yes := func() bool { return true }
	no := func() bool { return false }
	for _, c := range []struct {
		name      string
		magic     uint32
		journaled func() bool
		want      bool
	}{
		{"ext4 with a journal", ext4Magic, yes, false},
		{"ext4 without a journal", ext4Magic, no, true},
		{"xfs", xfsMagic, no, false},
		{"btrfs", btrfsMagic, no, false},
		{"zfs", zfsMagic, no, false},
		{"tmpfs", tmpfsMagic, no, false},
		{"vfat", 0x4d44, no, true},
		{"nfs", 0x6969, no, true},
	} {
		if got := syncfsNeedsFlush(c.magic, c.journaled); got != c.want {
			t.Errorf("%s: syncfsNeedsFlush = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestFlushAfterSyncfs checks the decision on the file systems at hand: a
// tmpfs never needs the flush; on an ext4 it follows the journal.
func TestFlushAfterSyncfs(t *testing.T) {
	for _, dir := range []string{"/dev/shm", t.TempDir()} {
		fd, err := openDir(dir)
		if err != nil {
			continue
		}
		var fs unix.Statfs_t
		var st unix.Stat_t
		if unix.Fstatfs(fd, &fs) != nil || unix.Fstat(fd, &st) != nil {
			closeFD(fd)
			t.Fatalf("statfs %s failed", dir)
		}
		got := flushAfterSyncfs(fd)
		if again := flushAfterSyncfs(fd); again != got {
			t.Errorf("%s: flushAfterSyncfs changed from %v to %v", dir, got, again)
		}
		if err := syncfs(fd); err != nil {
			t.Errorf("%s: syncfs: %v", dir, err)
		}
		closeFD(fd)
		switch fs.Type {
		case tmpfsMagic:
			if got {
				t.Errorf("%s (tmpfs): flushAfterSyncfs = true, want false", dir)
			}
		case ext4Magic:
			if want := !ext4Journaled(st.Dev); got != want {
				t.Errorf("%s (ext4): flushAfterSyncfs = %v, want %v", dir, got, want)
			}
		}
		t.Logf("%s: file system type %#x, flush after syncfs: %v", dir, fs.Type, got)
	}
	if _, err := os.Stat("/proc/fs/jbd2"); err != nil {
		t.Logf("no /proc/fs/jbd2: every ext4 counts as without a journal")
	}
}
