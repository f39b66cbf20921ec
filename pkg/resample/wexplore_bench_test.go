package resample

import (
	"strconv"
	"testing"
)

// BenchmarkWExplore times one resampling in the LJ-pair setting (region
// sizes 1, 0.5, 0.35, 0.25; 10 regions per level; pmax 0.5) with 2-D
// images spread over [0, 4)², after three warm-up cycles have grown the
// region tree, so that placement, balancing and settling all have work.
func BenchmarkWExplore(b *testing.B) {
	cfg := WExplore{
		RegionSizes: []float64{1, 0.5, 0.35, 0.25},
		MaxRegions:  []int{10, 10, 10, 10},
		PMax:        0.5,
	}
	for _, n := range []int{48, 192, 768, 3072, 10000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			gen := wexStream(uint64(n), 99)
			walkers := func() []Walker {
				ws := make([]Walker, n)
				var tot float64
				for i := range ws {
					ws[i] = Walker{Weight: 0.1 + gen.Float64(), Image: []float64{4 * gen.Float64(), 4 * gen.Float64()}}
					tot += ws[i].Weight
				}
				for i := range ws {
					ws[i].Weight /= tot
				}
				return ws
			}
			var state []byte
			for c := 0; c < 3; c++ {
				res, err := cfg.Resample(walkers(), state, wexStream(uint64(c), 99))
				if err != nil {
					b.Fatal(err)
				}
				state = res.State
			}
			ws := walkers()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := cfg.Resample(ws, state, wexStream(uint64(i), 98)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
