// Package rng provides the random streams every stochastic choice in wepipe
// draws from.
//
// Determinism (DESIGN §4) asks that the same input give the same bytes on any
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
// A Stream is not safe for concurrent use: give every walker its own.
package rng

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
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
type Stream struct {
	pcg rand.PCG
}

// New returns a stream seeded by the first 16 bytes of key.
func New(key [32]byte) *Stream {
	s := &Stream{}
	s.pcg.Seed(binary.BigEndian.Uint64(key[0:8]), binary.BigEndian.Uint64(key[8:16]))
	return s
}

// NewKey is New(Key(domain, hash, index, seed)).
func NewKey(domain string, hash [32]byte, index, seed uint64) *Stream {
	return New(Key(domain, hash, index, seed))
}

// Uint64 returns 64 uniformly distributed bits.
func (s *Stream) Uint64() uint64 { return s.pcg.Uint64() }

// Float64 returns a uniform deviate in [0, 1) with 53 random bits.
func (s *Stream) Float64() float64 {
	return float64(s.pcg.Uint64()>>11) * (1.0 / (1 << 53))
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
		hi, lo := mul64(s.pcg.Uint64(), bound)
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
	for {
		b := s.pcg.Uint64()
		i := b & 0xff
		// Signed uniform in [-1, 1) from the 53 bits above the layer index.
		u := float64(int64(b)>>11) * (1.0 / (1 << 52))
		z := u * zigX[i]
		if math.Abs(z) < zigX[i+1] {
			return z
		}
		if i == 0 {
			// Tail beyond r (Marsaglia 1964).
			for {
				x := -math.Log(1-s.Float64()) / zigR
				y := -math.Log(1 - s.Float64())
				if 2*y > x*x {
					if u < 0 {
						return -(zigR + x)
					}
					return zigR + x
				}
			}
		}
		f0, f1 := zigF[i], zigF[i+1]
		if f1+s.Float64()*(f0-f1) < math.Exp(-0.5*z*z) {
			return z
		}
	}
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
	f := func(x float64) float64 { return math.Exp(-0.5 * x * x) }
	zigX[0] = zigV / f(zigR)
	zigX[1] = zigR
	for i := 1; i < zigN-1; i++ {
		zigX[i+1] = math.Sqrt(-2 * math.Log(zigV/zigX[i]+f(zigX[i])))
	}
	zigX[zigN] = 0
	for i := range zigX {
		zigF[i] = f(zigX[i])
	}
	// Layer 0's "width" is the base strip's pseudo-width; its density at
	// the edge is that of r.
	zigF[0] = f(zigR)
}
