// we-summary prints what a run found, from the history that ends at a
// snapshot: the ensemble (walkers, distinct states, weights), the weighted
// statistics of every observable (mean, standard deviation, 5/50/95%
// quantiles, range), and the warps: the weight that reached a target, the
// flux per cycle and the rate and mean first-passage time it implies by
// the Hill relation (valid once the run is in a steady state).
//
// Usage:
//
//	we-summary [--json] [--store DIR] [HASH]
//
// HASH is read from stdin when not given. we-summary never writes.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
