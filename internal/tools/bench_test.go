package tools

import (
	"os"
	"strconv"
	"testing"
)

// benchStore makes a 48-walker lj-pair store in dir (a tmpfs such as
// /dev/shm when it exists, so that the figures are the tools' own cost and
// not the file system's) and returns it with the hash of one stepped
// snapshot.
func benchStore(b *testing.B) (string, string) {
	dir := os.Getenv("WE_BENCH_DIR")
	if dir == "" {
		dir = "/dev/shm"
		if _, err := os.Stat(dir); err != nil {
			dir = b.TempDir()
		}
	}
	d, err := os.MkdirTemp(dir, "wepipe-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(d) })
	st := d + "/s"
	h := runTool(b, Init, "--store", st, "--system", "lj-pair", "--walkers", "48")
	h = runTool(b, Step, "--store", st, "--steps", "1", h)
	return st, h
}

// BenchmarkCycle measures one pipeline cycle's work inside the tools (no
// process start): we-step --steps 1 and we-resample of 48 lj-pair walkers.
// Each iteration uses another seed, so that no memo entry answers it.
func BenchmarkCycle(b *testing.B) {
	st, h := benchStore(b)
	b.Run("step", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			runTool(b, Step, "--store", st, "--steps", "1", "--seed", strconv.Itoa(i+1), h)
		}
	})
	for _, m := range [][]string{{"--resampler", "none"}, {"--resampler", "wexplore", "--region-sizes", "1,0.5,0.35,0.25", "--pmax", "0.5", "--warp", "r>=1.0"}} {
		b.Run("resample-"+m[1], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runTool(b, Resample, append([]string{"--store", st, "--seed", strconv.Itoa(i + 1), h}, m...)...)
			}
		})
	}
}

// BenchmarkRunCycle measures we-run's cost per cycle (48 lj-pair walkers,
// 1 step a cycle, WExplore), the in-process figure behind
// scripts/bench/pipeline.sh's we-run row: b.N cycles in one we-run.
func BenchmarkRunCycle(b *testing.B) {
	st, h := benchStore(b)
	b.ResetTimer()
	runTool(b, Run, "-q", "--store", st, "--cycles", strconv.Itoa(b.N), "--steps", "1", h,
		"--resampler", "wexplore", "--", "--region-sizes", "1,0.5,0.35,0.25", "--max-regions", "10", "--pmax", "0.5", "--warp", "r>=1.0")
}
