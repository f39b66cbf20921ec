package potential

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/rng"
)

func stream(i uint64) *rng.Stream { return rng.NewKey("potential-test", [32]byte{}, i, 0) }

func mustNew(t testing.TB, terms []Term, n int, box []float64) Potential {
	t.Helper()
	p, err := New(terms, n, box)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkGradient compares the forces of p at pos with −∇U by central
// differences of step h. The difference error is O(h²·U”') plus rounding
// O(ε·|U|/h); tol bounds |F − F_fd| relative to max(1, |F|).
func checkGradient(t *testing.T, p Potential, pos []float64, h, tol float64) {
	t.Helper()
	f := make([]float64, len(pos))
	scratch := make([]float64, len(pos))
	p.Compute(pos, f)
	x := append([]float64(nil), pos...)
	for i := range x {
		x[i] = pos[i] + h
		ep := p.Compute(x, scratch)
		x[i] = pos[i] - h
		em := p.Compute(x, scratch)
		x[i] = pos[i]
		fd := -(ep - em) / (2 * h)
		if d := math.Abs(f[i] - fd); d > tol*math.Max(1, math.Abs(f[i])) {
			t.Errorf("coordinate %d: force %.12g, −dU/dx by differences %.12g (|Δ| %.3g)", i, f[i], fd, d)
		}
	}
}

func TestGradients(t *testing.T) {
	s := stream(1)
	jitter := func(pos []float64, amp float64) []float64 {
		out := append([]float64(nil), pos...)
		for i := range out {
			out[i] += amp * (2*s.Float64() - 1)
		}
		return out
	}
	fluid, box := LatticeFluid(150, 0.8, 0.3405)
	fluid = jitter(fluid, 0.02)
	// Move some atoms by whole boxes: the potential must not notice.
	fluid[0] += 3 * box[0]
	fluid[7] -= 2 * box[1]
	cases := []struct {
		name  string
		terms []Term
		n     int
		box   []float64
		pos   []float64
		h     float64
		tol   float64 // see checkGradient; each chosen ≥ 10× the observed error
	}{
		{"lj-pair", []Term{{Type: "lj", Params: map[string]float64{"sigma": 0.335, "epsilon": 41.84}}}, 2, nil,
			[]float64{0.01, -0.02, 0.03, 0.39, 0.05, -0.04}, 1e-6, 1e-6},
		{"lj-cluster-cutoff-shift", []Term{{Type: "lj", Params: map[string]float64{"sigma": 0.335, "epsilon": 1, "cutoff": 0.8, "shift": 1}}}, 4, nil,
			[]float64{0, 0, 0, 0.4, 0, 0, 0, 0.42, 0, 0.3, 0.3, 0.5}, 1e-6, 1e-6},
		{"lj-listed-pairs", []Term{{Type: "lj", Params: map[string]float64{"sigma": 0.3, "epsilon": 2}, Atoms: []int{0, 2, 1, 2}}}, 3, nil,
			[]float64{0, 0, 0, 0.4, 0.1, 0, 0.1, 0.32, 0.05}, 1e-6, 1e-6},
		{"double-well", []Term{{Type: "double-well", Params: map[string]float64{"h": 10, "a": 0.5, "k": 100}}}, 2, nil,
			[]float64{-0.3, 0.1, -0.05, 0.61, -0.2, 0.3}, 1e-6, 1e-7},
		{"muller-brown", []Term{{Type: "muller-brown", Params: map[string]float64{"scale": 0.25, "kz": 50}}}, 2, nil,
			[]float64{-0.3, 0.8, 0.1, 0.5, 0.2, -0.2}, 1e-6, 1e-6},
		{"harmonic-bond", []Term{{Type: "harmonic-bond", Params: map[string]float64{"k": 1000, "r0": 0.15}, Atoms: []int{0, 1, 1, 2}}}, 3, nil,
			[]float64{0, 0, 0, 0.1, 0.12, 0, 0.2, 0.2, 0.3}, 1e-6, 1e-7},
		{"harmonic-bond-periodic", []Term{{Type: "harmonic-bond", Params: map[string]float64{"k": 1000, "r0": 0.15}, Atoms: []int{0, 1}}}, 2, []float64{2, 2, 2},
			[]float64{0.05, 0.1, 0.1, 1.9, 0.2, 0.15}, 1e-6, 1e-7},
		{"harmonic-position", []Term{{Type: "harmonic-position", Params: map[string]float64{"k": 300, "x0": 1, "y0": -1, "z0": 0.5}, Atoms: []int{1}}}, 2, nil,
			[]float64{0, 0, 0, 1.2, -0.7, 0.9}, 1e-6, 1e-7},
		{"sum", []Term{
			{Type: "double-well", Params: map[string]float64{"h": 10, "a": 0.5, "k": 100}, Atoms: []int{0}},
			{Type: "harmonic-bond", Params: map[string]float64{"k": 500, "r0": 0.3}, Atoms: []int{0, 1}},
		}, 2, nil, []float64{0.2, 0.1, 0, 0.45, 0.1, 0.2}, 1e-6, 1e-7},
		{"lj-cut", []Term{{Type: "lj-cut", Params: map[string]float64{"sigma": 0.3405, "epsilon": 0.996}}}, 150, box[:],
			fluid, 1e-7, 1e-5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkGradient(t, mustNew(t, c.terms, c.n, c.box), c.pos, c.h, c.tol)
		})
	}
}

// TestMinima checks the stationary points the doc comments promise.
func TestMinima(t *testing.T) {
	const sigma, eps = 0.335, 41.84
	rm := math.Pow(2, 1.0/6) * sigma
	p := mustNew(t, []Term{{Type: "lj", Params: map[string]float64{"sigma": sigma, "epsilon": eps}}}, 2, nil)
	f := make([]float64, 6)
	e := p.Compute([]float64{0, 0, 0, rm, 0, 0}, f)
	// At rm the two terms of the force cancel to rounding of 24ε/rm ≈ 3e3.
	if math.Abs(e+eps) > 1e-12*eps {
		t.Errorf("LJ energy at 2^(1/6)σ = %v, want −ε = %v", e, -eps)
	}
	for i, v := range f {
		if math.Abs(v) > 1e-10 {
			t.Errorf("LJ force[%d] at 2^(1/6)σ = %v, want 0", i, v)
		}
	}
	dw := mustNew(t, []Term{{Type: "double-well", Params: map[string]float64{"h": 10, "a": 0.5, "k": 100}}}, 1, nil)
	for _, x := range []float64{-0.5, 0.5} {
		f := make([]float64, 3)
		if e := dw.Compute([]float64{x, 0, 0}, f); e != 0 || f[0] != 0 || f[1] != 0 || f[2] != 0 {
			t.Errorf("double well at x = %v: U = %v, F = %v; want 0, 0", x, e, f)
		}
	}
	f3 := make([]float64, 3)
	if e := dw.Compute([]float64{0, 0, 0}, f3); e != 10 {
		t.Errorf("double-well barrier U(0) = %v, want h = 10", e)
	}
}

// TestMullerBrownStationary locates the stationary points by Newton's
// method from the documented 3-decimal values and checks the values and
// energies quoted in the mullerBrown doc comment.
func TestMullerBrownStationary(t *testing.T) {
	for _, c := range []struct{ x, y, v float64 }{
		{-0.558, 1.442, -146.70}, // minimum A
		{0.623, 0.028, -108.17},  // minimum B
		{-0.050, 0.467, -80.77},  // minimum C
		{-0.822, 0.624, -40.66},  // saddle A–C
		{0.212, 0.293, -72.25},   // saddle C–B
	} {
		x, y := c.x, c.y
		const h = 1e-6
		for it := 0; it < 50; it++ {
			_, gx, gy := MullerBrown(x, y)
			_, gxx, gyx := MullerBrown(x+h, y)
			_, gxy, gyy := MullerBrown(x, y+h)
			a, b, cc, d := (gxx-gx)/h, (gxy-gx)/h, (gyx-gy)/h, (gyy-gy)/h
			det := a*d - b*cc
			x -= (d*gx - b*gy) / det
			y -= (-cc*gx + a*gy) / det
		}
		v, gx, gy := MullerBrown(x, y)
		if math.Hypot(gx, gy) > 1e-8 {
			t.Errorf("no stationary point near (%v, %v): |∇V| = %g", c.x, c.y, math.Hypot(gx, gy))
		}
		// Documented to 3 decimals (positions) and 2 decimals (energies).
		if math.Abs(x-c.x) > 5e-4 || math.Abs(y-c.y) > 5e-4 || math.Abs(v-c.v) > 5e-3 {
			t.Errorf("stationary point (%.5f, %.5f) V = %.4f, documented (%v, %v) V = %v", x, y, v, c.x, c.y, c.v)
		}
	}
}

// bruteLJ is the O(N²) minimum-image reference for lj-cut.
func bruteLJ(pos []float64, box [3]float64, sigma, eps, rc float64, shift bool) (float64, []float64) {
	n := len(pos) / 3
	f := make([]float64, len(pos))
	var e float64
	var es float64
	if shift {
		s6 := math.Pow(sigma/rc, 6)
		es = 4 * eps * s6 * (s6 - 1)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var d [3]float64
			var r2 float64
			for c := 0; c < 3; c++ {
				d[c] = pos[3*j+c] - pos[3*i+c]
				d[c] -= box[c] * math.Round(d[c]/box[c])
				r2 += d[c] * d[c]
			}
			if r2 >= rc*rc {
				continue
			}
			s6 := math.Pow(sigma*sigma/r2, 3)
			e += 4*eps*s6*(s6-1) - es
			g := 24 * eps * s6 * (2*s6 - 1) / r2
			for c := 0; c < 3; c++ {
				f[3*j+c] += g * d[c]
				f[3*i+c] -= g * d[c]
			}
		}
	}
	return e, f
}

// TestLJCutBruteForce follows random walks of configurations, across many
// neighbour-list rebuilds and boundary crossings, and compares every step
// with the brute-force sum. Energies and forces differ only by summation
// order: tolerance 1e-10 relative to the sum of magnitudes.
func TestLJCutBruteForce(t *testing.T) {
	const sigma, eps = 0.3405, 0.996
	for _, c := range []struct {
		name    string
		n       int
		density float64
		shift   float64
		skin    float64
		atoms   []int
		cells   int // expected t.m: 0 brute-force build, 2 cells per rlist
	}{
		{"brute-build", 200, 0.8, 0, 0, nil, 0},
		{"trimmed-skin", 120, 0.8, 1, 0, nil, 0},
		{"cells", 500, 0.8, 0, 0, nil, 2},
		{"cells-shift-skin", 400, 0.6, 1, 0.5 * sigma, nil, 2},
		{"subset", 600, 0.8, 1, 0, []int{1, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113,
			127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277,
			281, 283, 293, 307, 311, 313, 317, 331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389, 397, 401, 409, 419, 421, 431, 433, 439, 443, 449,
			457, 461, 463, 467, 479, 487, 491, 499, 503, 509, 521, 523, 541, 547, 557, 563, 569, 571, 577, 587, 593, 599}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := stream(uint64(c.n))
			pos, box := LatticeFluid(c.n, c.density, sigma)
			p := mustNew(t, []Term{{Type: "lj-cut", Params: map[string]float64{"sigma": sigma, "epsilon": eps, "shift": c.shift, "skin": c.skin}, Atoms: c.atoms}}, c.n, box[:])
			lc := p.(single).t.(*ljCut)
			if lc.m != c.cells {
				t.Fatalf("cell mode %d, want %d (nc %v)", lc.m, c.cells, lc.nc)
			}
			f := make([]float64, len(pos))
			for step := 0; step < 60; step++ {
				e := p.Compute(pos, f)
				we, wf := bruteLJ(pos, box, sigma, eps, 2.5*sigma, c.shift == 1)
				if c.atoms != nil {
					sub := make([]float64, 0, 3*len(c.atoms))
					for _, a := range c.atoms {
						sub = append(sub, pos[3*a:3*a+3]...)
					}
					var sf []float64
					we, sf = bruteLJ(sub, box, sigma, eps, 2.5*sigma, c.shift == 1)
					wf = make([]float64, len(pos))
					for q, a := range c.atoms {
						copy(wf[3*a:3*a+3], sf[3*q:3*q+3])
					}
				}
				var scale float64
				for i := range wf {
					scale += math.Abs(wf[i])
				}
				if math.Abs(e-we) > 1e-10*math.Max(1, math.Abs(we)) {
					t.Fatalf("step %d: energy %.15g, brute force %.15g", step, e, we)
				}
				for i := range f {
					if math.Abs(f[i]-wf[i]) > 1e-10*scale/float64(c.n) {
						t.Fatalf("step %d: force[%d] %.15g, brute force %.15g", step, i, f[i], wf[i])
					}
				}
				// Random moves of up to 0.1σ per coordinate per step: the
				// list is rebuilt every few steps; now and then an atom jumps
				// by a whole box.
				for i := range pos {
					pos[i] += 0.1 * sigma * (2*s.Float64() - 1)
				}
				if step%7 == 3 {
					a := s.IntN(c.n)
					pos[3*a+s.IntN(3)] += float64(s.IntN(5)-2) * box[0]
				}
			}
			if lc.builds < 10 {
				t.Errorf("only %d neighbour-list builds: the walk did not exercise rebuilds", lc.builds)
			}
		})
	}
}

func TestLJCutNonFinite(t *testing.T) {
	pos, box := LatticeFluid(500, 0.8, 0.3405)
	p := mustNew(t, []Term{{Type: "lj-cut", Params: map[string]float64{"sigma": 0.3405, "epsilon": 0.996}}}, 500, box[:])
	f := make([]float64, len(pos))
	if e := p.Compute(pos, f); math.IsNaN(e) {
		t.Fatal("finite configuration gave NaN")
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), 1e300} {
		q := append([]float64(nil), pos...)
		q[5] = bad
		if e := p.Compute(q, f); !math.IsNaN(e) && !math.IsInf(e, 0) {
			t.Errorf("coordinate %v: energy %v, want non-finite", bad, e)
		}
	}
	// Back to a sane configuration: the term recovers.
	if e := p.Compute(pos, f); math.IsNaN(e) || math.IsInf(e, 0) {
		t.Errorf("after a non-finite call: energy %v", e)
	}
}

func TestLatticeFluid(t *testing.T) {
	for _, n := range []int{1, 8, 27, 100, 1000} {
		pos, box := LatticeFluid(n, 0.8, 0.3405)
		if len(pos) != 3*n {
			t.Fatalf("n=%d: %d coordinates", n, len(pos))
		}
		// ρσ³ = n σ³ / L³ exactly up to rounding of the cube root.
		if rho := float64(n) * math.Pow(0.3405, 3) / (box[0] * box[1] * box[2]); math.Abs(rho-0.8) > 1e-12 {
			t.Errorf("n=%d: reduced density %v, want 0.8", n, rho)
		}
		for i, x := range pos {
			if x < 0 || x >= box[i%3] {
				t.Fatalf("n=%d: coordinate %d = %v outside [0, %v)", n, i, x, box[i%3])
			}
		}
		again, _ := LatticeFluid(n, 0.8, 0.3405)
		for i := range pos {
			if pos[i] != again[i] {
				t.Fatalf("n=%d: not deterministic", n)
			}
		}
	}
}

func TestNewErrors(t *testing.T) {
	lj := func(p map[string]float64) []Term { return []Term{{Type: "lj", Params: p}} }
	for _, c := range []struct {
		name  string
		terms []Term
		n     int
		box   []float64
		want  string
	}{
		{"unknown type", []Term{{Type: "morse"}}, 2, nil, `term 0: unknown type "morse"`},
		{"missing", lj(map[string]float64{"sigma": 0.3}), 2, nil, `term 0 (lj): parameter "epsilon": missing`},
		{"unknown param", lj(map[string]float64{"sigma": 0.3, "epsilon": 1, "sigam": 1}), 2, nil, `parameter "sigam": unknown`},
		{"invalid", lj(map[string]float64{"sigma": -0.3, "epsilon": 1}), 2, nil, `parameter "sigma": -0.3, want > 0`},
		{"nan", lj(map[string]float64{"sigma": math.NaN(), "epsilon": 1}), 2, nil, `parameter "sigma": NaN is not finite`},
		{"shift", lj(map[string]float64{"sigma": 0.3, "epsilon": 1, "shift": 2}), 2, nil, `parameter "shift"`},
		{"second term", []Term{
			{Type: "double-well", Params: map[string]float64{"h": 1, "a": 1, "k": 1}},
			{Type: "double-well", Params: map[string]float64{"h": 1, "a": 0, "k": 1}},
		}, 2, nil, `term 1 (double-well): parameter "a"`},
		{"atom range", []Term{{Type: "harmonic-bond", Params: map[string]float64{"k": 1, "r0": 1}, Atoms: []int{0, 2}}}, 2, nil, `atoms[1] = 2 out of range`},
		{"odd pairs", []Term{{Type: "harmonic-bond", Params: map[string]float64{"k": 1, "r0": 1}, Atoms: []int{0, 1, 1}}}, 2, nil, `want pairs`},
		{"self pair", []Term{{Type: "lj", Params: map[string]float64{"sigma": 1, "epsilon": 1}, Atoms: []int{1, 1}}}, 2, nil, `joins atom 1 to itself`},
		{"duplicate", []Term{{Type: "double-well", Params: map[string]float64{"h": 1, "a": 1, "k": 1}, Atoms: []int{0, 0}}}, 2, nil, `atom 0 listed twice`},
		{"no box", []Term{{Type: "lj-cut", Params: map[string]float64{"sigma": 0.3, "epsilon": 1}}}, 2, nil, `needs a periodic box`},
		{"small box", []Term{{Type: "lj-cut", Params: map[string]float64{"sigma": 0.3, "epsilon": 1}}}, 2, []float64{1, 1, 1}, `parameter "cutoff": 0.75 exceeds half the shortest box edge 1`},
		{"bad box", lj(map[string]float64{"sigma": 0.3, "epsilon": 1}), 2, []float64{1, 0, 1}, `box edge 1`},
		{"no terms", nil, 2, nil, `no terms`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.terms, c.n, c.box)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestParams(t *testing.T) {
	for _, typ := range Types() {
		ps, err := Params(typ)
		if err != nil || len(ps) == 0 {
			t.Errorf("%s: %v %v", typ, ps, err)
		}
	}
	if _, err := Params("nope"); err == nil {
		t.Error("unknown type: no error")
	}
}

func BenchmarkLJCut(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			// Uniform random positions: a lattice's regular distances would
			// let the branch predictor learn the cutoff tests.
			_, box := LatticeFluid(n, 0.8, 0.3405)
			s := stream(7)
			pos := make([]float64, 3*n)
			for i := range pos {
				pos[i] = box[0] * s.Float64()
			}
			p := mustNew(b, []Term{{Type: "lj-cut", Params: map[string]float64{"sigma": 0.3405, "epsilon": 0.996}}}, n, box[:])
			f := make([]float64, len(pos))
			p.Compute(pos, f)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.Compute(pos, f)
			}
		})
	}
}

// TestExp compares Exp with math.Exp (itself within 1 ulp) over the whole
// range: within 3 ulp (2 observed), plus the special values.
