// we-msm estimates steady-state kinetics from the run that ends at a
// snapshot with a history-augmented Markov state model (haMSM): the flux
// into the warping targets and the MFPT it gives, and the rates between
// macrostates, long before the weighted ensemble itself reaches a steady
// state.
//
// Usage:
//
//	we-msm [--obs OBS[,OBS2]] [--bins N[,M]] [--range LO:HI[,LO:HI]]
//	       [--state NAME:COND[,COND…]]... [--cycles A:B] [--json]
//	       [--plot FILE] [--store DIR] [HASH]
//
// Flags:
//
//	--obs OBS[,OBS2]  the observables the fine bins divide (default: the
//	                  system's, when it has one or two)
//	--bins N[,M]      fine bins per observable (default 50)
//	--range LO:HI     the bins' range per observable (default: every value
//	                  the transitions start or end at, and the initial
//	                  states)
//	--state S         a macrostate NAME:COND[,COND…] as in we-rate;
//	                  repeatable: the labels that augment the bins
//	--cycles A:B      the cycles whose transitions build the model
//	--weighted        count each transition with its walker's weight
//	                  instead of once (see Counts)
//	--json            JSON lines: one per target ("kind": "target") and
//	                  per pair of macrostates ("kind": "rate")
//	--plot FILE       also draw the model's steady-state distribution as
//	                  a free energy (−ln p, kT) into FILE (.png or .svg)
//
// The model (Suárez et al., JCTC 10, 2658 (2014); Copperman and
// Zuckerman, JCTC 16, 6763 (2020), the method of WESTPA's
// hamsm_restarting plugin): a microstate is a fine bin of the observables
// crossed with the last macrostate the walker visited (its label, as
// we-assign defines it). Every walker of every cycle closed by a
// resampling is one transition from its microstate when the cycle's
// dynamics began to its microstate when it ended, or into the target
// when it was warped; the lag time is τ, the dynamics time per cycle.
// The transition matrix is the row-normalised count matrix; the flux into the target is returned to the
// system's initial states (by their weights), as warping does; the model
// is restricted to its strongly connected part (for a warped run, the one
// holding the initial states). Its steady state π solves π T = π. Then
//
//	flux into the target  J = Σ_a π_a P(a → target)   per cycle
//	rate                  J/τ,  MFPT = τ/J  (Hill relation)
//	rate i → j            F_ij / (p_i/(p_i + p_j)) / τ
//
// with F_ij the steady-state flux of transitions from label i to label j
// and p_i the probability labelled i (w_direct's pairwise normalisation).
//
// Why: the probability of moving between neighbouring fine bins in one
// cycle is measured well after a few cycles, while the flux the WE run
// itself sees needs the whole ensemble to relax to its steady state; the
// haMSM solves for that steady state directly.
//
// Counts: each transition counts once, so that a row estimates where a
// walker in that bin goes in one cycle, whatever its weight. Counting
// with the walkers' weights (--weighted, the flux matrix of Copperman and
// Zuckerman) makes the model's steady state the time average of the WE
// ensemble over the window (the weighted flow between bins is conserved),
// so that its flux carries the same transient as the WE flux; weights in a
// bin also span orders of magnitude, so a weighted row rests on few
// walkers. On the double well of this project's tests, from the first
// 100 cycles, the WE flux was 4 to 70 times below its steady value and the
// weighted model likewise; the unweighted model was within a factor 1.7. Labelling by the last
// macrostate keeps the model's A → B rate exact when the bins are not
// Markovian at the scale of the macrostates. The bins must still be fine
// enough that one cycle's motion is Markovian between them; too many
// bins leave microstates seen once. The dense steady-state solve allows
// up to 2000 microstates.
//
// we-msm never writes to the store.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
