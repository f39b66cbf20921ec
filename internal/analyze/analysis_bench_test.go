package analyze

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/internal/tools"
)

// BenchmarkAnalysis times the analysis tools in process (no process
// start, no page-cache misses) on a run of WE_BENCH_CYCLES cycles
// (default 200) of 48 walkers: the weakly bound LJ pair with WExplore and
// warping, 20 steps per cycle. scripts/bench/analysis.sh measures the
// binaries on 2000 cycles with their peak memory; this benchmark is for
// profiling (-cpuprofile) and for comparing builds.
//
//	go test -run '^$' -bench Analysis -benchtime 3x ./internal/analyze/
func BenchmarkAnalysis(b *testing.B) {
	cycles := 200
	if v, err := strconv.Atoi(os.Getenv("WE_BENCH_CYCLES")); err == nil && v > 0 {
		cycles = v
	}
	st := physicsStore(b)
	h := runTool(b, tools.Init, "--store", st, "--system", "lj-pair", "--set", "epsilon=2", "--walkers", "48", "--seed", "7")
	for range cycles {
		h = runTool(b, tools.Step, "--store", st, "--steps", "20", h)
		h = runTool(b, tools.Resample, "--store", st, "--resampler", "wexplore", "--region-sizes", "1,0.5,0.35,0.25", "--pmax", "0.5", "--warp", "r>=1.0", h)
	}
	out := filepath.Join(filepath.Dir(st), "out")
	states := []string{"--state", "bound:r<0.45", "--state", "unbound:r>0.9"}
	for _, c := range []struct {
		name string
		tool func(*cli.Env, []string) int
		args []string
	}{
		{"summary", Summary, nil},
		{"profile", Profile, nil},
		{"rate", Rate, nil},
		{"rate-states", Rate, states},
		{"assign", Assign, states},
		{"msm", MSM, nil},
		{"msm-states", MSM, states},
		{"report", Report, append([]string{"-o", out}, states...)},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runTool(b, c.tool, append([]string{"--store", st, h}, c.args...)...)
			}
		})
	}
}
