// we-assign assigns every walker of every cycle of the run that ends at a
// snapshot to macrostates defined by ranges of observables, and labels it
// with the last macrostate it visited, as WESTPA's w_assign does; it
// prints, per cycle, the walkers and weight in each state, the weight
// labelled with each, and the fluxes between them.
//
// Usage:
//
//	we-assign --state NAME:COND[,COND…]... [--cycles A:B] [--walkers]
//	          [--json] [--plot FILE] [--store DIR] [HASH]
//
// Flags:
//
//	--state S    a macrostate, NAME:COND[,COND…]: the walkers whose
//	             observables meet every condition (OBS<V, <=, >, >=), e.g.
//	             --state 'bound:r<0.45' --state 'unbound:r>0.9'; at least
//	             one; where several hold the first given wins
//	--cycles A:B cycles A ≤ c < B (either end may be left out; default all)
//	--walkers    one row per walker per cycle: its weight, the state it is
//	             in ("none" between states), its label and its
//	             observables, instead of one row per cycle
//	--json       JSON lines instead of CSV, with the same keys
//	--plot FILE  also draw the walkers and the weight in each state against
//	             cycle into FILE (.png or .svg)
//
// Assignment and labels: a walker is in the first state whose conditions
// its observables meet after a cycle's dynamics (the we-step snapshot).
// Its label is the last state it was in: kept while it is between states,
// carried to its clones by resampling, and, when warping returns it to an
// initial state, the state of that initial state. A walker that has not
// yet been in any state is labelled "none". A change of label during a
// cycle's dynamics is a transition; its weight is the flux between the
// two states (we-rate --state turns these fluxes into rates).
//
// Per-cycle columns: cycle, walkers, walkers_in[S] and weight_in[S] (in
// state S after the dynamics, S = "none" for between states),
// weight_labelled[S] (labelled S among the walkers that entered the
// cycle, the population a rate out of S is normalised by), flux[S->T]
// (weight whose label changed from S to T during the cycle).
//
// we-assign never writes to the store.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
