// we-profile prints the free-energy profile of one or two observables
// over a window of cycles of the run that ends at a snapshot: the weighted
// histogram of the walkers after each cycle's dynamics, averaged over the
// cycles, and F = −kT ln p with error bars from block averages.
//
// Usage:
//
//	we-profile [--obs OBS[,OBS2]] [--bins N[,M]] [--range LO:HI[,LO:HI]]
//	           [--cycles A:B] [--blocks B] [--json] [--plot FILE] [--store DIR] [HASH]
//
// Flags:
//
//	--obs OBS[,OBS2]  the observables (default: the system's, when it has
//	                  one or two)
//	--bins N[,M]      bins per observable (default 50)
//	--range LO:HI     the histogram's range per observable (default: from
//	                  the smallest to the largest value in the window)
//	--cycles A:B      cycles A ≤ c < B (either end may be left out: 200:
//	                  drops a transient of 200 cycles; default all)
//	--blocks B        blocks of consecutive cycles the error bars come
//	                  from (default 10; 0: none)
//	--json            JSON lines instead of CSV
//	--plot FILE       also draw the profile into FILE (.png or .svg): a
//	                  line with its error band, or a heat map for two
//	                  observables
//
// Definitions, as WESTPA's w_pdist and plothist average (and wepy's
// free_energy_profile bins): each cycle's ensemble after its dynamics (the
// we-step snapshot, before warping) is histogrammed with the walkers'
// weights and normalised by its total weight, so that every cycle counts
// once; the cycles' histograms are averaged, then normalised over the
// bins of the range to p. The bins are N equal intervals [e_i, e_i+1),
// the last one closed, over the range (numpy.histogram's). F = −ln(p/Δ)
// in kT, Δ the bin's width (or area), shifted so that its minimum is 0;
// F in kJ/mol is F·kT with the system's temperature. Error bars: the
// cycles are cut into B consecutive blocks, p is computed in each, and
// p_err is the sample standard deviation of the B block values over √B;
// F_err = p_err/p. Blocks must be longer than the run's correlation time
// for the error bars to hold; a bin never visited has F = inf.
//
// Output: one row per bin (for two observables, the second varies
// fastest), with a header naming each column and its unit:
//
//	r_nm,r_lo_nm,r_hi_nm,p,p_err,density_per_nm,F_kT,F_err_kT,F_kJ_per_mol,F_err_kJ_per_mol
//
// the bin's centre and edges, its probability and error, the probability
// density, and F with its error in kT and in kJ/mol. Non-finite values
// are written inf and nan (null in JSON). Observables of every built-in
// type are lengths in nm.
//
// we-profile never writes to the store. Weight outside --range is left
// out and reported on stderr.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
