//go:build unix

package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMemoNoSpace: a memo entry that cannot be written for lack of space
// says so, naming the entry, and leaves no temp file behind.
func TestMemoNoSpace(t *testing.T) {
	s := newStore(t)
	h := mustPut(t, s, makeState(stream("nospace", 0), 2))
	failWrite = func(p string) error {
		if strings.HasPrefix(filepath.Base(p), "w-") {
			return unix.ENOSPC
		}
		return nil
	}
	defer func() { failWrite = nil }()
	key := MemoKey("nospace")
	for name, write := range map[string]func() error{
		"PutMemo":   func() error { return s.PutMemo(key, h) },
		"WriteMemo": func() error { return s.WriteMemo(key, []byte("0 "+h.String()+"\n")) },
	} {
		err := write()
		wantErr(t, err, "write memo entry "+s.memoPath(key), "no space left on device")
		if !errors.Is(err, unix.ENOSPC) {
			t.Errorf("%s: %v is not ENOSPC", name, err)
		}
	}
	if tmp := tempFiles(t, s); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	if _, ok := s.Memo(key); ok {
		t.Error("a memo entry exists")
	}
}
