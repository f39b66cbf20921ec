//go:build unix

package system

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// endless reads its byte forever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// TestFromJSONHostile: a system file that never ends, or is not JSON at
// all, or is larger than the limit, is refused at once with little memory
// (under a memory limit): the file is decoded as it is read, never read
// whole first.
func TestFromJSONHostile(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(64 << 20))
	huge := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(MaxJSONSize + 1) // sparse: no disk used
	f.Close()
	open := func(p string) io.Reader {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	for _, c := range []struct {
		name, want string
		r          func() io.Reader
	}{
		{"endless zeros", "line 1: invalid character", func() io.Reader { return endless(0) }},
		{"/dev/zero", "line 1: invalid character", func() io.Reader { return open("/dev/zero") }},
		{"endless y", "invalid character 'y'", func() io.Reader { return endless('y') }},
		{"endless nesting", "exceeded max depth", func() io.Reader { return endless('[') }},
		{"a regular file over the limit", "over the limit", func() io.Reader { return open(huge) }},
		{"empty", "empty", func() io.Reader { return strings.NewReader("") }},
		{"syntax error on line 3", "line 3: invalid character", func() io.Reader { return strings.NewReader("{\n\"name\":\n x}") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := FromJSON(c.r(), nil)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("FromJSON: %v, want an error saying %q", err, c.want)
			}
			got := after.TotalAlloc - before.TotalAlloc
			t.Logf("%v in %v, %d KiB allocated", err, time.Since(start).Round(time.Microsecond), got>>10)
			if got > 4<<20 {
				t.Errorf("refusing it allocated %d KiB", got>>10)
			}
		})
	}
}
