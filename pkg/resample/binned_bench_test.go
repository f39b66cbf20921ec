package resample

import (
	"strconv"
	"testing"
)

// BenchmarkBinned: 1-D, 16 bins on [0, 1), PerBin n/16 so the ensemble
// keeps its size.
func BenchmarkBinned(b *testing.B) {
	edges := make([]float64, 15)
	for i := range edges {
		edges[i] = float64(i+1) / 16
	}
	for _, n := range binBenchSizes {
		walkers := binBenchWalkers(n)
		cfg := Binned{Edges: [][]float64{edges}, PerBin: max(1, n/16)}
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := cfg.Resample(walkers, nil, binTestStream(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMAB: 1-D, 10 linear bins plus the four special bins, PerBin
// n/14.
func BenchmarkMAB(b *testing.B) {
	for _, n := range binBenchSizes {
		walkers := binBenchWalkers(n)
		cfg := MAB{NBins: []int{10}, PerBin: max(1, n/14)}
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := cfg.Resample(walkers, nil, binTestStream(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
