package resample

import (
	"fmt"
	"testing"

	"github.com/wepipe/wepipe/pkg/rng"
)

// BenchmarkREVO resamples LJ-pair-like ensembles: 1-D images r uniform in
// 0.3–1.2 nm, random weights summing to 1, and the parameters of wepy's
// examples (merge distance 0.25 nm, characteristic distance 0.1 nm,
// pmin 1e-12, pmax 0.1, α = 4, "pairs"). wepy takes 60 ms for 48 walkers
// and 3.4 s for 192.
func BenchmarkREVO(b *testing.B) {
	for _, n := range []int{48, 192, 768, 3072, 10000} {
		r := rng.NewKey("revo-bench", [32]byte{}, uint64(n), 1)
		walkers := make([]Walker, n)
		var sum float64
		for i := range walkers {
			w := r.Float64() + 1e-3
			walkers[i] = Walker{Weight: w, Image: []float64{0.3 + 0.9*r.Float64()}}
			sum += w
		}
		for i := range walkers {
			walkers[i].Weight /= sum
		}
		cfg := REVO{MergeDist: 0.25, CharDist: 0.1}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var steps float64
			for range b.N {
				res, err := cfg.Resample(walkers, nil, rng.NewKey("revo-bench", [32]byte{}, 0, 2))
				if err != nil {
					b.Fatal(err)
				}
				steps = res.Summary["n_clones"]
			}
			b.ReportMetric(steps, "steps/op")
		})
	}
}
