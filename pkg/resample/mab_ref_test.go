package resample

import (
	"math"
	"slices"

	"github.com/wepipe/wepipe/pkg/fmath"
)

// A transcription of westpa/core/binning/mab.py (WESTPA develop, December
// 2024, after PR #436), statement by statement and with numpy's semantics
// spelled out, for the tests to hold MAB against: determine_total_bins,
// calculate_bin_boundaries, detect_bottlenecks and bin_assignment for
// final coordinates with weights (splitting = True) and no mask.
// Deliberately naive: it shares no code with mab.go but the numeric
// primitives (fmath.Log for np.log, fmath.PairwiseSum for np.sum).

// mabRefTotalBins is MABBinMapper.determine_total_bins.
func mabRefTotalBins(m MAB) int {
	ndim := len(m.NBins)
	nb := slices.Clone(m.NBins)
	total := 1
	for n := range ndim {
		if m.skipped(n) {
			nb[n] = 1
		}
		total *= nb[n]
	}
	bottleneck := 0
	if !m.NoBottleneck {
		bottleneck = 1
	}
	for n := range ndim {
		if m.skipped(n) {
			continue
		}
		switch m.direction(n) {
		case -1, 1:
			total += 1 + bottleneck
		case 0:
			total += 2 + 2*bottleneck
		case 86:
			total += 2 * bottleneck
		}
	}
	return total
}

// mabRefDetect is detect_bottlenecks along dimension n: the full
// coordinates of the forward and reverse bottleneck walkers, nil if none.
func mabRefDetect(coords [][]float64, weights []float64, n int, positiveZ bool) (fwd, rev []float64) {
	nCoords := len(coords)
	// sorted_indices = unmasked_coords[:, n].argsort() (stable here).
	idx := make([]int, nCoords)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case coords[a][n] < coords[b][n]:
			return -1
		case coords[a][n] > coords[b][n]:
			return 1
		}
		return 0
	})
	coordsSrt := make([][]float64, nCoords)
	weightsSrt := make([]float64, nCoords)
	for i, k := range idx {
		coordsSrt[i], weightsSrt[i] = coords[k], weights[k]
	}
	coordsFlip := slices.Clone(coordsSrt)
	slices.Reverse(coordsFlip)
	weightsFlip := slices.Clone(weightsSrt)
	slices.Reverse(weightsFlip)
	maxdiff, maxdiffFlip := math.Inf(-1), math.Inf(-1)
	if positiveZ { // before PR #436: maxdiff = 0
		maxdiff, maxdiffFlip = 0, 0
	}
	for i := 1; i < nCoords-1; i++ {
		cum := fmath.PairwiseSum(weightsSrt[i+1:])
		cumFlip := fmath.PairwiseSum(weightsFlip[i+1:])
		z := fmath.Log(weightsSrt[i]) - fmath.Log(cum)
		zFlip := fmath.Log(weightsFlip[i]) - fmath.Log(cumFlip)
		if z > maxdiff {
			fwd, maxdiff = coordsSrt[i], z
		}
		if zFlip > maxdiffFlip {
			rev, maxdiffFlip = coordsFlip[i], zFlip
		}
	}
	return fwd, rev
}

// mabRefAssign is map_mab followed by bin_assignment: the bin of every
// walker.
func mabRefAssign(m MAB, walkers []Walker) []int {
	ndim := len(m.NBins)
	coords := make([][]float64, len(walkers))
	weights := make([]float64, len(walkers))
	for i, w := range walkers {
		coords[i], weights[i] = w.Image, w.Weight
	}
	// calculate_bin_boundaries
	minlist, maxlist := make([]float64, ndim), make([]float64, ndim)
	bnFwd, bnRev := make([][]float64, ndim), make([][]float64, ndim)
	for n := range ndim {
		minlist[n], maxlist[n] = math.Inf(1), math.Inf(-1)
		for _, c := range coords {
			minlist[n] = math.Min(minlist[n], c[n])
			maxlist[n] = math.Max(maxlist[n], c[n])
		}
		if !m.NoBottleneck && !m.skipped(n) {
			bnFwd[n], bnRev[n] = mabRefDetect(coords, weights, n, m.PositiveZ)
		}
	}
	// bin_assignment
	nb := slices.Clone(m.NBins)
	skip := make([]bool, ndim)
	skipFwd, skipRev, skipLead, skipLag := make([]bool, ndim), make([]bool, ndim), make([]bool, ndim), make([]bool, ndim)
	var active []int
	for n := range ndim {
		skip[n] = m.skipped(n)
		if skip[n] {
			nb[n] = 1
		} else {
			active = append(active, n)
		}
		d := m.direction(n)
		skipFwd[n] = (m.NoBottleneck || d == -1) || skip[n]
		skipRev[n] = (m.NoBottleneck || d == 1) || skip[n]
		skipLead[n] = (d == 86 || d == -1) || skip[n]
		skipLag[n] = (d == 86 || d == 1) || skip[n]
	}
	count := func(b []bool) int { // b.sum()
		k := 0
		for _, v := range b {
			if v {
				k++
			}
		}
		return k
	}
	notCount := func(b []bool) int { return len(b) - count(b) } // (~b).sum()
	prod := func(x []int) int {
		p := 1
		for _, v := range x {
			p *= v
		}
		return p
	}
	boundaryFwd := prod(nb)
	boundaryRev := boundaryFwd + notCount(skipLead)
	bneckFwd := boundaryRev + notCount(skipLag)
	bneckRev := bneckFwd + notCount(skipFwd)

	output := make([]int, len(walkers))
	for i, coord := range coords {
		binID, special := 0, false
		if !m.NoBottleneck {
			for _, n := range active {
				if bnFwd[n] != nil && slices.Equal(coord, bnFwd[n]) && !skipFwd[n] {
					binID = bneckFwd + n - count(skipFwd[:n])
					special = true
					break
				} else if bnRev[n] != nil && slices.Equal(coord, bnRev[n]) && !skipRev[n] {
					binID = bneckRev + n - count(skipRev[:n])
					special = true
					break
				}
			}
		}
		if !special {
			for _, n := range active {
				if coord[n] == maxlist[n] && !skipLead[n] {
					binID = boundaryFwd + n - count(skipLead[:n])
					special = true
					break
				} else if coord[n] == minlist[n] && !skipLag[n] {
					binID = boundaryRev + n - count(skipLag[:n])
					special = true
					break
				}
			}
		}
		if !special {
			for n := range ndim {
				// bins = np.linspace(minp, maxp, nbins + 1)
				num := nb[n] + 1
				bins := make([]float64, num)
				delta := maxlist[n] - minlist[n]
				div := float64(num - 1)
				step := delta / div
				for k := range bins {
					if step == 0 {
						bins[k] = float64(k)/div*delta + minlist[n]
					} else {
						bins[k] = float64(k)*step + minlist[n]
					}
				}
				bins[num-1] = maxlist[n]
				// np.digitize(coord, bins) - 1, increasing bins, right=False
				binNumber := -1
				for _, e := range bins {
					if e <= coord[n] {
						binNumber++
					}
				}
				if binNumber == nb[n] {
					binNumber--
				} else if binNumber == -1 {
					binNumber = 0
				}
				binID += binNumber * prod(nb[:n])
			}
		}
		output[i] = binID
	}
	return output
}
