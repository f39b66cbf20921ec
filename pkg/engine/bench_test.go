package engine

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkLangevinLJPair: one walker of the LJ pair, b.N steps in one
// call; ns/op is ns per step (6 normal deviates and one pair force each).
func BenchmarkLangevinLJPair(b *testing.B) {
	sys, st := ljPair(b)
	r := stream("bench", 0)
	b.ResetTimer()
	if _, _, err := (Langevin{}).Propagate(context.Background(), sys, st, Request{Steps: b.N, Rand: r}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/step")
}

// BenchmarkLJFluid: reduced-unit argon at ρσ³ = 0.8, rc = 2.5σ, 120 K,
// 2 fs, after 500 (n=1000) or 200 (n=10000) steps of equilibration from
// the lattice. ns/op is one step; ns/day is simulated time per day.
func BenchmarkLJFluid(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			sys, st := ljFluid(b, n)
			r := stream("bench-fluid", uint64(n))
			eq := 500000 / n
			st, _, err := (Langevin{}).Propagate(context.Background(), sys, st, Request{Steps: eq, Rand: r})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			if _, _, err := (Langevin{}).Propagate(context.Background(), sys, st, Request{Steps: b.N, Rand: r}); err != nil {
				b.Fatal(err)
			}
			per := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(per*1e6, "µs/step")
			b.ReportMetric(sys.Timestep*1e-3*86400/per, "ns/day")
		})
	}
}
