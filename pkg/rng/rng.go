// Package rng provides the random streams every stochastic choice in wepipe
// draws from.
//
// Determinism (ARCHITECTURE.md §4) asks that the same input give the same bytes on any
// machine and with any Go release. So the package fixes its algorithms
// itself rather than relying on library conveniences whose output may change:
//
//   - the generator is PCG-DXSM (O'Neill 2014; the 128-bit LCG variant
//     specified by math/rand/v2.PCG, whose output sequence is stable);
//   - uniform floats are the top 53 bits of one output scaled by 2⁻⁵³;
//   - normal deviates use the ziggurat method of Marsaglia & Tsang,
//     "The Ziggurat Method for Generating Random Variables", J. Stat. Softw.
//     5(8), 2000, with 256 layers whose tables are computed here;
//   - seeds are SHA-256 digests of a domain string and the inputs that
//     identify the choice (Key).
//
// Every function the streams use is fmath's or IEEE basic arithmetic with
// products rounded explicitly, so a stream is the same on every machine.
//
// A Stream is not safe for concurrent use: give every walker its own.
package rng

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/wepipe/wepipe/pkg/fmath"
)

// Key derives a 32-byte seed from a domain (the stage, e.g. "we-step"),
// the input object's hash, an index (the walker) and a user seed:
//
//	SHA-256(domain ‖ 0x00 ‖ hash ‖ uint64be(index) ‖ uint64be(seed))
func Key(domain string, hash [32]byte, index, seed uint64) [32]byte {
	h := sha256.New()
	h.Write([]byte(domain))
	h.Write([]byte{0})
	h.Write(hash[:])
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], index)
	binary.BigEndian.PutUint64(b[8:], seed)
	h.Write(b[:])
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

// Stream is a seeded source of uniform and normal deviates.
//
// Its generator is PCG-DXSM: a 128-bit linear congruential state
// s ← s·M + C (mod 2¹²⁸) with M and C as in math/rand/v2.PCG, output by the
// "double xorshift multiply" permutation of O'Neill's pcg-cpp. It is written
// out here, rather than calling math/rand/v2.PCG, so that the compiler
// inlines it into Normal: that saves a third of the cost of a normal
// deviate. TestPCGMatchesStdlib pins it to math/rand/v2's output.
type Stream struct {
	hi, lo uint64
}

// New returns a stream seeded by the first 16 bytes of key (the same
// state math/rand/v2.NewPCG(seed1, seed2) would have).
func New(key [32]byte) *Stream {
	return &Stream{hi: binary.BigEndian.Uint64(key[0:8]), lo: binary.BigEndian.Uint64(key[8:16])}
}

// next advances the 128-bit LCG and returns the DXSM output.
func (s *Stream) next() uint64 {
	const (
		mulHi = 2549297995355413924
		mulLo = 4865540595714422341
		incHi = 6364136223846793005
		incLo = 1442695040888963407
	)
	hi, lo := bits.Mul64(s.lo, mulLo)
	hi += s.hi*mulLo + s.lo*mulHi
	lo, c := bits.Add64(lo, incLo, 0)
	hi, _ = bits.Add64(hi, incHi, c)
	s.lo, s.hi = lo, hi
	hi ^= hi >> 32
	hi *= 0xda942042e4dd58b5
	hi ^= hi >> 48
	return hi * (lo | 1)
}

// NewKey is New(Key(domain, hash, index, seed)).
func NewKey(domain string, hash [32]byte, index, seed uint64) *Stream {
	return New(Key(domain, hash, index, seed))
}

// Uint64 returns 64 uniformly distributed bits.
func (s *Stream) Uint64() uint64 { return s.next() }

// Float64 returns a uniform deviate in [0, 1) with 53 random bits.
func (s *Stream) Float64() float64 {
	return float64(s.next()>>11) * (1.0 / (1 << 53))
}

// IntN returns a uniform integer in [0, n); it panics if n <= 0.
// It uses Lemire's multiply-and-reject method ("Fast random integer
// generation in an interval", ACM TOMACS 29(1), 2019), which is unbiased.
func (s *Stream) IntN(n int) int {
	if n <= 0 {
		panic("rng: IntN with n <= 0")
	}
	bound := uint64(n)
	for {
		hi, lo := mul64(s.next(), bound)
		if lo < bound {
			thresh := -bound % bound
			if lo < thresh {
				continue
			}
		}
		return int(hi)
	}
}

func mul64(a, b uint64) (hi, lo uint64) {
	const mask32 = 1<<32 - 1
	a0, a1 := a&mask32, a>>32
	b0, b1 := b&mask32, b>>32
	w0 := a0 * b0
	t := a1*b0 + w0>>32
	w1 := t&mask32 + a0*b1
	hi = a1*b1 + t>>32 + w1>>32
	lo = a * b
	return
}

// Choice returns an index i drawn with probability w[i]/Σw, by inverting
// the cumulative sum at u·Σw for one uniform u. Weights must be
// non-negative with a positive sum. This is the draw wepy makes with
// numpy's rand.choice(p=w/Σw) and WESTPA with its weighted choice.
func (s *Stream) Choice(w []float64) int {
	var total float64
	for _, x := range w {
		total += x
	}
	u := s.Float64() * total
	var c float64
	last := 0
	for i, x := range w {
		if x <= 0 {
			continue
		}
		c += x
		last = i
		if u < c {
			return i
		}
	}
	return last
}

// Normal returns a standard normal deviate (mean 0, variance 1).
func (s *Stream) Normal() float64 {
	b := s.next()
	z := float64(int64(b)>>11) * (1.0 / (1 << 52)) * zigX[b&0xff]
	if math.Abs(z) < zigX[b&0xff+1] {
		return z
	}
	return s.normalSlow(b)
}

// normalSlow finishes a draw whose first attempt, from b, missed the
// ziggurat's rectangle.
func (s *Stream) normalSlow(b uint64) float64 {
	for {
		if z, ok := s.zig(b); ok {
			return z
		}
		b = s.next()
	}
}

// FillNormal fills dst with standard normal deviates: the same values, in
// the same order, as len(dst) calls of Normal, with the common case (98.8 %
// of draws) inlined in the loop.
func (s *Stream) FillNormal(dst []float64) {
	for i := range dst {
		b := s.next()
		j := b & 0xff
		z := float64(int64(b)>>11) * (1.0 / (1 << 52)) * zigX[j]
		if math.Abs(z) < zigX[j+1] {
			dst[i] = z
			continue
		}
		dst[i] = s.normalSlow(b)
	}
}

// zig makes one ziggurat attempt from the 64 bits b: the layer from the low
// 8 bits, a signed uniform in [−1, 1) from the 53 bits above them; the tail
// and wedge tests draw further uniforms from the stream.
func (s *Stream) zig(b uint64) (float64, bool) {
	i := b & 0xff
	u := float64(int64(b)>>11) * (1.0 / (1 << 52))
	z := u * zigX[i]
	if math.Abs(z) < zigX[i+1] {
		return z, true
	}
	if i == 0 {
		// Tail beyond r (Marsaglia 1964).
		for {
			x := -fmath.Log(1-s.Float64()) / zigR
			y := -fmath.Log(1 - s.Float64())
			if 2*y > x*x {
				if u < 0 {
					return -(zigR + x), true
				}
				return zigR + x, true
			}
		}
	}
	f0, f1 := zigF[i], zigF[i+1]
	if f1+float64(s.Float64()*(f0-f1)) < fmath.Exp(-0.5*z*z) { // rounded product: never fused
		return z, true
	}
	return 0, false
}

// Ziggurat tables for 256 layers of the unnormalised density
// f(x) = exp(−x²/2). zigR is the start of the tail and zigV the common
// area of every layer (Marsaglia & Tsang 2000, Table 1).
const (
	zigN = 256
	zigR = 3.6541528853610088
	zigV = 0.00492867323399
)

var zigX, zigF [zigN + 1]float64

func init() {
	f := func(x float64) float64 { return fmath.Exp(-0.5 * x * x) }
	zigX[0] = zigV / f(zigR)
	zigX[1] = zigR
	for i := 1; i < zigN-1; i++ {
		zigX[i+1] = math.Sqrt(-2 * fmath.Log(zigV/zigX[i]+f(zigX[i])))
	}
	zigX[zigN] = 0
	for i := range zigX {
		zigF[i] = f(zigX[i])
	}
	// Layer 0's "width" is the base strip's pseudo-width; its density at
	// the edge is that of r.
	zigF[0] = f(zigR)
}
