// we-summary prints what a run found, from the history that ends at a
// snapshot: the ensemble (walkers, distinct states, weights), the weighted
// statistics of every observable (mean, standard deviation, 5/50/95%
// quantiles, range), and the warps: the weight that reached a target, the
// flux per cycle and the rate and mean first-passage time it implies by
// the Hill relation (valid once the run is in a steady state).
//
// Usage:
//
//	we-summary [--json] [--plot FILE] [--store DIR] [HASH]
//
// HASH is read from stdin when not given. we-summary never writes to the
// store. --json prints the same as one JSON object; each observable's
// entry of "obs" holds name, mean, std, min, max and the weighted
// quantiles q05, median and q95. --plot FILE also draws, per cycle, the distribution of the
// weights of the walkers entering it (smallest, median, largest, 5–95 %),
// the numbers of walkers, distinct states and occupied resampler regions
// or bins, and the walkers in each region or bin, into FILE (.png or
// .svg). we-profile, we-rate, we-assign and we-msm analyse further;
// we-report gathers everything into a web page.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
