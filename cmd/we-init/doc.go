// we-init creates a store if needed, a system and the initial snapshot of a
// weighted-ensemble run, and prints the snapshot's hash.
//
// Usage:
//
//	we-init --system NAME|FILE [--walkers N] [--seed N] [--set key=value]... [--store DIR]
//
// Every walker of the initial snapshot has weight 1/N. With several initial
// states (a system file may give more than one) walker i starts from state
// i mod K. The hash depends only on the inputs: running the same command
// twice, here or on another machine, prints the same hash and writes
// nothing new.
//
// Flags:
//
//	--system NAME|FILE  a built-in system or a JSON system file (required)
//	--walkers N         number of walkers (default 48)
//	--seed N            replica seed (default 0): another seed gives another
//	                    snapshot hash and so other random streams downstream
//	--set key=value     override a parameter (repeatable); an unknown key is
//	                    a usage error that lists the valid keys
//	--store DIR         the store (default $WE_STORE, else ./we.store);
//	                    created if missing
//
// Built-in systems (units nm, ps, amu, kJ/mol, K):
//
//	lj-pair      two particles of 39.9 amu, Lennard-Jones σ = 0.3350 nm,
//	             ε = 41.84 kJ/mol, no cutoff, no box; start at (0,0,0) and
//	             (2^(1/6)σ,0,0), velocities zero; 300 K, friction 1/ps, step
//	             0.002 ps. Observable r: the distance of the two particles.
//	             Keys: mass sigma epsilon temperature friction timestep.
//	double-well  one particle of 10 amu in U = h((x/a)² − 1)² + ½k(y² + z²),
//	             h = 10 kJ/mol, a = 0.5 nm, k = 100 kJ/mol/nm², start at
//	             (−a,0,0); 300 K, friction 10/ps, step 0.002 ps. Observable x.
//	             Keys: mass h a k temperature friction timestep.
//	muller-brown one particle on the Müller–Brown surface (x, y in nm) times
//	             scale (default 0.25, kJ/mol), mass 10 amu, harmonic restraint
//	             kz on z, 300 K, friction 10/ps, step 0.002 ps; start in the
//	             deepest minimum (−0.558, 1.442). Observables x, y.
//	             Keys: mass scale kz temperature friction timestep.
//	lj-fluid     n argon atoms (σ = 0.3405 nm, ε = 0.996 kJ/mol, 39.948 amu)
//	             on a cubic lattice at reduced density 0.8 in a periodic
//	             cubic box, cutoff 2.5σ; 120 K, friction 1/ps, step 0.002 ps.
//	             Observable r: distance of atoms 0 and 1 (minimum image).
//	             Keys: n density mass sigma epsilon cutoff temperature
//	             friction timestep.
//
// A system file is JSON (FORMAT.md, "System files"):
//
//	{"name": "pair",
//	 "particles": [{"name": "A", "mass": 39.9}, {"name": "B", "mass": 39.9}],
//	 "potential": [{"type": "lj", "params": {"sigma": 0.335, "epsilon": 41.84}}],
//	 "integrator": {"temperature": 300, "friction": 1, "timestep": 0.002},
//	 "observables": [{"name": "r", "type": "distance", "atoms": [0, 1]}],
//	 "initial": [{"positions": [[0, 0, 0], [0.376, 0, 0]]}]}
//
// Errors in it name the field; --set accepts temperature, friction and
// timestep for a file system.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
