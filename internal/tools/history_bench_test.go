package tools

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// historyStore builds (or finds: every stage is memoised) a run of
// $WE_BENCH_CYCLES cycles (default 2000) of 48 lj-pair walkers, each
// cycle we-step --steps 1 and REVO resampling (clones and merges every
// cycle, at little cost), in $WE_BENCH_HISTORY_STORE (default a store on
// /dev/shm removed afterwards). It returns the store and the end hash.
func historyStore(b *testing.B) (string, string) {
	cycles := 2000
	if v := os.Getenv("WE_BENCH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("WE_BENCH_CYCLES=%q", v)
		}
		cycles = n
	}
	st := os.Getenv("WE_BENCH_HISTORY_STORE")
	if st == "" {
		dir := "/dev/shm"
		if _, err := os.Stat(dir); err != nil {
			dir = b.TempDir()
		}
		d, err := os.MkdirTemp(dir, "wepipe-history-bench-")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(d) })
		st = filepath.Join(d, "s")
	}
	h := runTool(b, Init, "--store", st, "--system", "lj-pair", "--walkers", "48", "--seed", "1")
	for c := 0; c < cycles; c++ {
		h = runTool(b, Step, "--store", st, "--steps", "1", h)
		h = runTool(b, Resample, "--store", st, "--resampler", "revo", "--merge-dist", "0.0005", "--char-dist", "0.001", h)
	}
	return st, h
}

// BenchmarkHistory measures, in process, we-gexf of a whole run and the
// lineage export of every walker of its last snapshot (we-trace --all) as
// DCD and as PDB. scripts/bench/history.sh runs the tools themselves on the
// same stores for wall time and peak RSS.
func BenchmarkHistory(b *testing.B) {
	st, h := historyStore(b)
	out := b.TempDir()
	b.Run("gexf", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			runTool(b, Gexf, "--store", st, "-o", filepath.Join(out, "tree.gexf"), h)
		}
	})
	for _, f := range []string{"dcd", "pdb"} {
		b.Run("trace-all-"+f, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runTool(b, Trace, "--store", st, "--all", "--format", f, "-o", filepath.Join(out, f), h)
			}
		})
	}
}
