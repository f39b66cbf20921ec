package ls

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wepipe/wepipe/internal/inproc"
	"github.com/wepipe/wepipe/internal/tools"
)

// TestSnapshotsCompleteIndex: we-ls snapshots lists the same, byte for
// byte, in all three ways a listing is made — by decoding (no index), by
// listing the directory beside an index not yet complete, and from a
// complete index alone, mapped (FORMAT.md §1.5) — in every format. The
// index is marked complete only once the directories have gone unchanged
// for 2 s, so the test waits that long, as a user whose run ended does.
func TestSnapshotsCompleteIndex(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	root := inproc.Run(t, tools.Init, "--system", "lj-pair", "--walkers", "4", "--store", dir)
	h := root
	for range 5 {
		h = inproc.Run(t, tools.Step, "--steps", "3", "--store", dir, h)
		h = inproc.Run(t, tools.Resample, "--resampler", "revo", "--merge-dist", "0.5", "--char-dist", "0.1", "--store", dir, h)
	}
	index := filepath.Join(dir, "index", "snapshots")
	complete := func() bool {
		b, err := os.ReadFile(index)
		if err != nil {
			t.Fatal(err)
		}
		return binary.LittleEndian.Uint32(b[24:])&1 != 0
	}
	formats := [][]string{{"snapshots"}, {"snapshots", "-q"}, {"snapshots", "--json"}, {"runs"}}
	list := func() []string {
		var out []string
		for _, f := range formats {
			out = append(out, inproc.Run(t, Ls, append(f, "--store", dir)...))
		}
		return out
	}
	first := list() // no index: decoded, index written
	if complete() {
		t.Fatal("an index written just after the run was marked complete")
	}
	time.Sleep(2100 * time.Millisecond)
	same := func(what string, got []string) {
		t.Helper()
		for i := range first {
			if got[i] != first[i] {
				t.Errorf("%s: %v lists\n%s\nwant\n%s", what, formats[i], got[i], first[i])
			}
		}
	}
	same("beside an index not complete", list())
	if !complete() {
		t.Fatal("the index was not marked complete once the store had settled")
	}
	same("from the complete index", list())
	if n := strings.Count(first[0], "\n"); n != 11 {
		t.Errorf("%d rows, want 11 snapshots", n)
	}
}
