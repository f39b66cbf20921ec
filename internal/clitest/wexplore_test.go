package clitest

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runTool runs one of the built tools against store and returns its stdout.
func runTool(t *testing.T, store string, stdin string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Env = append(os.Environ(), "WE_STORE="+store)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, errb.String())
	}
	return out.String()
}

// TestWExploreLJPair runs wepy's LJ-pair settings (WExplore, region sizes
// 1, 0.5, 0.35, 0.25 nm, 10 regions per level, pmax 0.5, warp at r ≥ 1.0 nm,
// 48 walkers) for 100 cycles through the real tools, and checks after every
// cycle that the ensemble keeps 48 walkers and its weight (ARCHITECTURE.md §7:
// each resampling conserves Σw to 1e-12, so 100 cycles stay within 1e-10).
//
// With wepy's ε = 41.84 kJ/mol (16.8 kT) the pair never dissociates, so a
// second run lowers ε to 2 kJ/mol (0.8 kT): walkers then escape, WExplore
// opens regions, and walkers past 1 nm are warped with their weight.
func TestWExploreLJPair(t *testing.T) {
	if testing.Short() {
		t.Skip("100 cycles")
	}
	for _, tc := range []struct {
		name      string
		set       []string
		wantWarps bool
	}{
		{name: "wepy", set: nil},
		{name: "weak", set: []string{"--set", "epsilon=2"}, wantWarps: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "s")
			h := strings.TrimSpace(runTool(t, store, "", "we-init", append([]string{"--system", "lj-pair", "--walkers", "48"}, tc.set...)...))
			maxRegions := 0.0
			for c := 1; c <= 100; c++ {
				s := strings.TrimSpace(runTool(t, store, "", "we-step", "--steps", "200", h))
				h = strings.TrimSpace(runTool(t, store, s, "we-resample", "--resampler", "wexplore",
					"--region-sizes", "1,0.5,0.35,0.25", "--max-regions", "10", "--pmax", "0.5", "--warp", "r>=1.0"))
				var snap struct {
					Cycle   int `json:"cycle"`
					Walkers []struct{ Weight float64 }
					Summary map[string]float64 `json:"summary"`
				}
				if err := json.Unmarshal([]byte(runTool(t, store, "", "we-cat", h)), &snap); err != nil {
					t.Fatal(err)
				}
				var sum float64
				for _, w := range snap.Walkers {
					sum += w.Weight
					if w.Weight > 0.5 {
						t.Errorf("cycle %d: a walker of weight %g above pmax 0.5", c, w.Weight)
					}
				}
				if snap.Cycle != c || len(snap.Walkers) != 48 || math.Abs(sum-1) > 1e-10 {
					t.Fatalf("cycle %d: snapshot cycle %d, %d walkers, Σw = %.17g", c, snap.Cycle, len(snap.Walkers), sum)
				}
				maxRegions = math.Max(maxRegions, snap.Summary["n_regions"])
			}
			warps := strings.Count(runTool(t, store, "", "we-ls", "warps", h, "--json"), "\n")
			t.Logf("%s: %d warps, up to %g regions", tc.name, warps, maxRegions)
			if tc.wantWarps && (warps == 0 || maxRegions < 2) {
				t.Errorf("%s: %d warps and %g regions; the weakly bound pair should escape", tc.name, warps, maxRegions)
			}
			if !tc.wantWarps && warps != 0 {
				t.Errorf("%s: %d warps from a 16.8 kT well", tc.name, warps)
			}
			if out := runTool(t, store, "", "we-fsck"); out != "" {
				t.Errorf("we-fsck: %s", out)
			}
		})
	}
}
