// we-rate measures rates in the run that ends at a snapshot: the flux
// into each warping target per cycle, the rate (1/ps) and mean
// first-passage time (ps) it gives by the Hill relation, and, with
// --state, the fluxes and rates between macrostates; each with a
// confidence interval from a block bootstrap that respects the
// correlation between cycles, and the rate's evolution as the window
// grows, so that one sees whether it has converged.
//
// Usage:
//
//	we-rate [--cycles A:B] [--state NAME:COND[,COND…]]... [--alpha A]
//	        [--evolution N] [--window W] [--seed N] [--json | --csv]
//	        [--plot FILE] [--store DIR] [HASH]
//
// Flags:
//
//	--cycles A:B   cycles A ≤ c < B closed by a resampling (either end may
//	               be left out; 200: drops a transient of 200 cycles;
//	               default all)
//	--state S      a macrostate, NAME:COND[,COND…]: the walkers whose
//	               observables meet every condition (OBS<V, <=, >, >=),
//	               e.g. --state 'bound:r<0.45' --state 'unbound:r>0.9';
//	               repeatable, the first that holds wins
//	--alpha A      intervals at the 1−A confidence level (default 0.05)
//	--evolution N  windows of the evolution: from the first cycle to N
//	               evenly spaced ends (default 10; 0: none)
//	--window W     cycles of the moving average (--csv, --plot; default 20)
//	--seed N       seed of the bootstrap's random draws (default 0): the
//	               same input and flags always give the same intervals
//	--json         JSON lines: one per target or macrostate pair
//	               ("kind": "target" or "rate"), then one per evolution
//	               window ("evolution": true)
//	--csv          instead, one CSV row per cycle: every series' flux,
//	               its cumulative and moving averages, and the cumulative
//	               rate in 1/ps
//	--plot FILE    also draw the flux per cycle and the rate's evolution
//	               with its confidence band into FILE (.png or .svg)
//
// Targets. The flux into a target in cycle c is the total weight of the
// warp records of the we-resample that closed the cycle whose condition
// is that target's (FORMAT.md §4.3); every condition the resamplings were
// asked to apply is a target, also one never met (flux 0). By the Hill
// relation (Hill 1977; Suárez et al., JCTC 10, 2658 (2014)), in a steady
// state the mean flux per cycle over τ, the mean dynamics time of the
// window's cycles, is the rate A → B and its inverse the MFPT from the
// initial states to the target. A transient (the flux rising after the start) makes both
// wrong: the evolution shows it, --cycles leaves it out.
//
// Macrostates, as WESTPA's w_assign and w_direct: every walker of every
// cycle is labelled with the last state it visited, as observed at the
// end of each cycle's dynamics; a walker returned to an initial state by
// warping is labelled by the state it is returned to. A change of label
// from i to j is a transition, and its weight a flux i → j. The rate is
//
//	k_ij = Σ_c F_ij(c) / Σ_c p̃_i(c) / τ,   p̃_i = p_i/(p_i + p_j)
//
// with p_i the weight labelled i entering cycle c (w_direct's pairwise
// normalisation, so that k_ij depends only on states i and j). It holds
// with or without warping.
//
// Confidence intervals, as WESTPA's mclib (MCBS) that w_direct and w_ipa
// use: the correlation length L of the running estimate is found by the
// test of Huber and Kim (Biophys. J. 70, 97 (1996)), the cycles are cut
// into blocks of L+1 cycles, and 10^(⌈−log10 A⌉+1) synthetic data sets
// (1000 for A = 0.05) are drawn from the block means with replacement; the
// interval is the A/2 and 1−A/2 quantiles of the estimate over them. When
// no lag below half the cycles is uncorrelated, the interval is the range
// of the running estimate. MFPT intervals are the inverse of the rate's.
// On the double well of this project's tests (300 cycles after a
// transient, binned resampling up the barrier) the 95 % interval covered
// the exact rate in 83 of 100 replicas with 2 walkers per bin and in 90
// with 4: over a few hundred cycles the flux of a rare event is skewed
// (a few heavy walkers carry it) and the percentile bootstrap is
// optimistic. Longer runs and more walkers per bin bring it closer to 95 %.
//
// Difference from wepy: wepy's contig_warp_rates divides the warped weight
// by the total sampling time of all walkers (cycles × cycle time ×
// number of walkers), a flux per unit of walker time; we-rate divides by
// the dynamics time only, as the weights of the ensemble sum to 1: its
// rate is wepy's times the number of walkers, and it is the rate (and
// 1/MFPT) that the Hill relation and WESTPA give. wepy also groups warps
// by the initial state a walker was returned to; we-rate by the
// condition it met.
//
// we-rate never writes to the store. A run with no target and no --state
// prints its header and says so on stderr.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
