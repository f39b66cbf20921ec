//go:build amd64 && !amd64.v3

package fmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAtan2MatchesMath: on amd64 without FMA (the default GOAMD64=v1),
// math.Atan2 runs Cephes's method unfused, and Atan2 must give its bits
// exactly, over every octant and many magnitudes.
func TestAtan2MatchesMath(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for i := 0; i < 200000; i++ {
		var y, x float64
		if i%2 == 0 { // dihedral-like arguments: products of nm-scale lengths
			y, x = 4*r.Float64()-2, 4*r.Float64()-2
		} else {
			y = math.Ldexp(r.Float64()+0.5, r.IntN(200)-100)
			x = math.Ldexp(r.Float64()+0.5, r.IntN(200)-100)
			if r.IntN(2) == 0 {
				y = -y
			}
			if r.IntN(2) == 0 {
				x = -x
			}
		}
		if got, want := Atan2(y, x), math.Atan2(y, x); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("Atan2(%v, %v) = %v, math.Atan2 %v", y, x, got, want)
		}
	}
}
