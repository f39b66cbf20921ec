// we-report writes a static HTML report of the run that ends at a
// snapshot into a directory, and prints the path of its page. The page
// opens from disk in any browser: no server, no JavaScript.
//
// Usage:
//
//	we-report -o DIR [--state NAME:COND[,COND…]]... [--cycles A:B] [--store DIR] [HASH]
//
// Flags:
//
//	-o DIR        the directory to write into (created when missing); the
//	              files it writes replace those of an earlier report, any
//	              other file there is left alone
//	--state S     macrostates, as in we-rate and we-assign (repeatable):
//	              adds their rates, occupancy and haMSM rates
//	--cycles A:B  the window of cycles for rates, profiles and the haMSM
//	              (default all)
//
// The page (DIR/index.html) holds:
//
//   - the summary (we-summary);
//   - the rates: flux into each warping target with its 95 % confidence
//     interval, rate and MFPT by the Hill relation, their evolution, and
//     rates between macrostates (we-rate), with rates.png and rates.csv;
//   - free-energy profiles of every observable, and of the pair when there
//     are two, with error bars (we-profile): profile-*.png, profile-*.csv;
//   - the haMSM steady-state estimate (we-msm) when the run has warps or
//     two macrostates: hamsm.png;
//   - the macrostates' occupancy per cycle (we-assign): states.png,
//     states.csv;
//   - the weights, walkers, states and regions per cycle (we-summary
//     --plot): ensemble.png;
//   - the family tree drawn from the snapshots' parent records: every
//     walker of every cycle a line from its parent, coloured by weight,
//     warped lineages in teal: tree.png;
//   - the warp events (the first 500; all in warps.csv);
//   - the configuration: the system record (engine, integrator,
//     particles, potential terms and parameters, observables, initial
//     states) and every operation of the history with its parameters;
//   - the commands that redo each analysis.
//
// An analysis that cannot be made (no target, too many observables for a
// model) is replaced by a note saying why. we-report reads the store and
// writes only into DIR. The same store, snapshot and flags give the same
// files.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
