//go:build amd64 && !amd64.v3

package fmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCbrtMatchesMath: on amd64 without FMA (the default GOAMD64=v1),
// math.Cbrt runs unfused, and Cbrt must give its bits exactly — the
// promise that lets lattice systems keep their hashes.
func TestCbrtMatchesMath(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 200000; i++ {
		x := math.Ldexp(r.Float64()+0.5, r.IntN(2100)-1070)
		if got, want := Cbrt(x), math.Cbrt(x); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("Cbrt(%v) = %v, math.Cbrt %v", x, got, want)
		}
	}
	for n := 2; n <= 100000; n++ { // lj-fluid's box edges at the defaults
		x := float64(n) * 0.3405 * 0.3405 * 0.3405 / 0.8
		if Cbrt(x) != math.Cbrt(x) {
			t.Fatalf("n=%d: Cbrt(%v) = %v, math.Cbrt %v", n, x, Cbrt(x), math.Cbrt(x))
		}
	}
}
