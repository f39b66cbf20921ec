package clitest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/wepipe/wepipe/internal/hostile"
)

// zeroBomb is hostile.ZeroBomb for a test.
func zeroBomb(t *testing.T, blocks int) []byte {
	t.Helper()
	z, err := hostile.ZeroBomb(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// TestHostileMemory runs the tools that read every object (we-fsck, a
// union, we-ls, we-cat) on a store holding a zstd bomb — 0.8 MB that
// decompress to 4 GiB, no size declared — and a snapshot of 8 Mi one-byte
// walkers (a few kilobytes compressed, 700 MiB of walker structures if a
// decoder believed it), and measures each process's peak resident memory:
// each refuses the objects, names them, and stays far below what they
// claim (the limits of FORMAT.md §7, at the real 1 GiB object limit).
func TestHostileMemory(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir}
	st := filepath.Join(dir, "s.store")
	tool(t, env, "we-init", "--system", "lj-pair", "--walkers", "2", "--store", st)
	// The bomb, under an arbitrary state name.
	bomb := strings.Repeat("b", 64)
	if err := os.WriteFile(filepath.Join(st, "objects", "state", bomb), zeroBomb(t, 1<<16), 0o444); err != nil {
		t.Fatal(err)
	}
	// {"v": 1, "kind": "snapshot", "walkers": [8 Mi × 0x00]}, named by its
	// hash, compressed.
	const n = 8 << 20
	data := []byte{0xa3, 0x61, 'v', 0x01, 0x64, 'k', 'i', 'n', 'd', 0x68}
	data = append(data, "snapshot"...)
	data = append(data, 0x67)
	data = append(data, "walkers"...)
	data = append(data, 0x9a, n>>24, n>>16&0xff, n>>8&0xff, n&0xff)
	data = append(data, make([]byte, n)...)
	enc, _ := zstd.NewWriter(nil, zstd.WithSingleSegment(true))
	sum := sha256.Sum256(data)
	huge := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(st, "objects", "snapshot", huge), enc.EncodeAll(data, nil), 0o444); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"we-fsck", []string{"--store", st}, []string{bomb + ": decompressed size exceeds the limit of 1073741824 bytes", huge + ": decode snapshot: walkers: array of 8388608 elements declared"}},
		{"we-merge", []string{"--store", filepath.Join(dir, "copy.store"), "--from", st}, []string{"exceeds the limit", "walkers: array of 8388608 elements declared"}},
		{"we-ls", []string{"snapshots", "--store", st}, []string{"walkers: array of 8388608 elements declared", "1 of 2 snapshots could not be read"}},
		{"we-cat", []string{"--store", st, bomb}, []string{"exceeds the limit"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(binDir, c.name), c.args...)
			cmd.Env = env
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("%s: %v, want exit status 1\n%s", c.name, err, out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("%s does not say %q:\n%s", c.name, w, out.String())
				}
			}
			// Linux reports ru_maxrss in KiB.
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
			t.Logf("%s: peak resident memory %d MiB", c.name, rss>>20)
			if rss > 160<<20 {
				t.Errorf("%s: peak resident memory %d MiB", c.name, rss>>20)
			}
		})
	}
}
