package rng

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// The streams are part of the file format's determinism: every stored
// trajectory and resampling decision depends on them. Pin literal outputs
// (computed once with this code) so that any change to the key derivation
// (domain, separator byte, field order or width), the generator, the float
// conversion, the ziggurat tables or its slow paths, IntN or Choice fails
// here, not only in the tools' golden hashes.
func TestGolden(t *testing.T) {
	// SHA-256("test" ‖ 0x00 ‖ 01 02 03 00…00 ‖ uint64be(4) ‖ uint64be(5)),
	// as documented on Key (the same digest as Python's hashlib.sha256).
	key := Key("test", [32]byte{1, 2, 3}, 4, 5)
	if got, want := hex.EncodeToString(key[:]), "93958910ecd2c70da9aa304c384df81770dcb6e790aaeea128185d367e703be3"; got != want {
		t.Errorf("Key = %s, want %s", got, want)
	}
	s := NewKey("test", [32]byte{1, 2, 3}, 4, 5)
	for i, want := range []uint64{0xd1eb39bf896d2578, 0x871610822583cfd0, 0xc5c2e0bc71b8cb06, 0x4b05a3fbf9f07833} {
		if got := s.Uint64(); got != want {
			t.Errorf("Uint64 %d = %#016x, want %#016x", i, got, want)
		}
	}
	for i, want := range []float64{0.8988735762758717, 0.6759235342507919} {
		if got := s.Float64(); got != want {
			t.Errorf("Float64 %d = %v, want %v", i, got, want)
		}
	}
	for i, want := range []float64{-0.06496018203302256, 1.2168735506492407, 0.028879081762801097, -0.0004914995754183763} {
		if got := s.Normal(); got != want {
			t.Errorf("Normal %d = %v, want %v", i, got, want)
		}
	}
	if got := s.IntN(1000); got != 739 {
		t.Errorf("IntN(1000) = %d, want 739", got)
	}
	if got := s.Choice([]float64{0.1, 0.2, 0.7}); got != 1 {
		t.Errorf("Choice = %d, want 1", got)
	}
	// 10⁵ normals take every path of the ziggurat: 1.2 % miss the
	// rectangle (the wedge test, fmath.Exp), 30 land in the tail
	// (fmath.Log). Their bits are pinned by their SHA-256.
	s = NewKey("golden-normals", [32]byte{}, 0, 0)
	h := sha256.New()
	var b [8]byte
	tail := 0
	for range 100000 {
		x := s.Normal()
		if math.Abs(x) > zigR {
			tail++
		}
		binary.BigEndian.PutUint64(b[:], math.Float64bits(x))
		h.Write(b[:])
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), "b548f5efaf18f59693a0c99ba1713e0ec7898745da2468b94d04f76c9955b01f"; got != want || tail != 30 {
		t.Errorf("10⁵ normals: SHA-256 %s with %d in the tail, want %s with 30", got, tail, want)
	}

	// Every input of the key matters.
	a := NewKey("test", [32]byte{1, 2, 3}, 4, 5).Uint64()
	for _, other := range []*Stream{
		NewKey("test", [32]byte{1, 2, 3}, 5, 5),
		NewKey("test", [32]byte{1, 2, 3}, 4, 6),
		NewKey("test", [32]byte{1, 2, 4}, 4, 5),
		NewKey("tesT", [32]byte{1, 2, 3}, 4, 5),
	} {
		if other.Uint64() == a {
			t.Error("another key gives the same first output")
		}
	}
}

// Moments of the ziggurat normals: with n = 10⁶ samples the standard
// errors of mean, variance, skewness and excess kurtosis are about 0.001,
// 0.0014, 0.0025 and 0.005; the bounds are 5σ.
func TestNormalMoments(t *testing.T) {
	s := New([32]byte{9})
	const n = 1000000
	var m1, m2, m3, m4 float64
	for i := 0; i < n; i++ {
		x := s.Normal()
		m1 += x
		m2 += x * x
		m3 += x * x * x
		m4 += x * x * x * x
	}
	m1 /= n
	m2 /= n
	m3 /= n
	m4 /= n
	if math.Abs(m1) > 0.005 || math.Abs(m2-1) > 0.007 || math.Abs(m3) > 0.0125 || math.Abs(m4-3) > 0.05 {
		t.Errorf("moments: mean %.4g var %.4g third %.4g fourth %.4g", m1, m2, m3, m4)
	}
}

// The tail beyond the ziggurat's base (|x| > r = 3.654) must have the
// normal probability 2·Φ(−r) ≈ 2.58e-4.
func TestNormalTail(t *testing.T) {
	s := New([32]byte{7})
	const n = 4000000
	tail := 0
	for i := 0; i < n; i++ {
		if math.Abs(s.Normal()) > zigR {
			tail++
		}
	}
	want := n * math.Erfc(zigR/math.Sqrt2)
	// Poisson: σ = sqrt(want) ≈ 32; 5σ.
	if math.Abs(float64(tail)-want) > 5*math.Sqrt(want) {
		t.Errorf("tail count %d, want %.0f", tail, want)
	}
}

// Kolmogorov–Smirnov distance of 10⁵ normals to Φ; the 0.1 % critical
// value is 1.95/sqrt(n).
func TestNormalKS(t *testing.T) {
	s := New([32]byte{3})
	const n = 100000
	x := make([]float64, n)
	for i := range x {
		x[i] = s.Normal()
	}
	sort.Float64s(x)
	var d float64
	for i, v := range x {
		f := 0.5 * math.Erfc(-v/math.Sqrt2)
		d = math.Max(d, math.Max(math.Abs(f-float64(i)/n), math.Abs(f-float64(i+1)/n)))
	}
	if d > 1.95/math.Sqrt(n) {
		t.Errorf("KS distance %.4g exceeds %.4g", d, 1.95/math.Sqrt(n))
	}
}

func TestIntNAndChoice(t *testing.T) {
	s := New([32]byte{5})
	counts := make([]int, 3)
	for i := 0; i < 30000; i++ {
		v := s.IntN(3)
		if v < 0 || v >= 3 {
			t.Fatalf("IntN(3) = %d", v)
		}
		counts[v]++
	}
	// Binomial(30000, 1/3): σ ≈ 82; 5σ.
	for i, c := range counts {
		if math.Abs(float64(c)-10000) > 410 {
			t.Errorf("IntN value %d drawn %d times of 30000", i, c)
		}
	}
	w := []float64{0, 1, 0, 3}
	got := make([]int, 4)
	for i := 0; i < 40000; i++ {
		got[s.Choice(w)]++
	}
	if got[0] != 0 || got[2] != 0 {
		t.Errorf("zero weights drawn: %v", got)
	}
	// Binomial(40000, 1/4): σ ≈ 87; 5σ.
	if math.Abs(float64(got[1])-10000) > 435 {
		t.Errorf("weight-1 index drawn %d times of 40000, want about 10000", got[1])
	}
}

func BenchmarkNormal(b *testing.B) {
	s := New([32]byte{})
	var x float64
	for i := 0; i < b.N; i++ {
		x += s.Normal()
	}
	_ = x
}

// The inlined generator is math/rand/v2's PCG-DXSM, output for output.
func TestPCGMatchesStdlib(t *testing.T) {
	key := Key("pcg", [32]byte{42}, 7, 9)
	s := New(key)
	ref := rand.NewPCG(binary.BigEndian.Uint64(key[0:8]), binary.BigEndian.Uint64(key[8:16]))
	for i := 0; i < 100000; i++ {
		if a, b := s.Uint64(), ref.Uint64(); a != b {
			t.Fatalf("output %d: %#x, math/rand/v2 gives %#x", i, a, b)
		}
	}
}

func TestFillNormalMatchesNormal(t *testing.T) {
	a, b := New([32]byte{8}), New([32]byte{8})
	buf := make([]float64, 1000)
	for k := 0; k < 200; k++ {
		a.FillNormal(buf[:k%7+1])
		for i, x := range buf[:k%7+1] {
			if y := b.Normal(); x != y {
				t.Fatalf("round %d value %d: FillNormal %v, Normal %v", k, i, x, y)
			}
		}
	}
}

func BenchmarkFillNormal6(b *testing.B) {
	s := New([32]byte{})
	buf := make([]float64, 6)
	for i := 0; i < b.N; i++ {
		s.FillNormal(buf)
	}
}
