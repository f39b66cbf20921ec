// we-init creates a store if needed, a system and the initial snapshot of a
// weighted-ensemble run, and prints the snapshot's hash.
//
// Usage:
//
//	we-init --system NAME|FILE [--walkers N] [--seed N] [--set key=value]...
//	        [--obs NAME=TYPE:ARGS]... [--store DIR]
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
//	--obs NAME=TYPE:ARGS
//	                    add an observable over atom selections (repeatable;
//	                    see "Observables" below)
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
// Observables (--obs): each adds a named progress coordinate to the
// system, after its own, evaluated on every state; --warp, --bins, --mab
// and --image of we-resample name it. References (rmsd, q) are the first
// initial state's coordinates. ARGS are atom selections (SEL) and other
// parts separated by semicolons:
//
//	distance:SEL;SEL          distance of two atoms (nm; minimum image)
//	mindist:SEL;SEL           smallest distance between two groups
//	comdist:SEL;SEL           distance between the groups' centres of mass
//	coord:SEL;x|y|z           one coordinate of one atom
//	dihedral:SEL;SEL;SEL;SEL  dihedral angle of four atoms, radians in
//	                          [−π, π], IUPAC sign (trans ±π)
//	phi:RES psi:RES omega:RES backbone dihedral of one residue (radians):
//	                          φ = C(i−1) N CA C, ψ = N CA C N(i+1),
//	                          ω = CA C N(i+1) CA(i+1), as MDTraj; RES is a
//	                          residue number or a selection of one residue
//	rg:SEL                    mass-weighted radius of gyration (nm)
//	rmsd:SEL                  RMSD after optimal superposition onto the
//	                          reference (nm)
//	q:SEL                     fraction of native contacts of Best, Hummer
//	                          & Eaton (PNAS 110, 17874 (2013)) among the
//	                          selected atoms: pairs more than 3 residues
//	                          apart within 0.45 nm in the reference,
//	                          β = 50/nm, λ = 1.8 (MDTraj's best_hummer_q)
//
// A selection is VMD's, MDTraj's and MDAnalysis's everyday language:
// keywords index (from 0), name, resname, resid (the file's residue
// number), resindex (from 0), element, chain, each with values (N, N-M, N
// to M; names with * and ?), flags all, none, protein, backbone, heavy,
// hydrogen, water, joined by and, or, not and parentheses. For a protein:
//
//	we-init --system SYSTEM --obs 'rmsd=rmsd:name CA' --obs 'q=q:protein and heavy' \
//	        --obs 'rg=rg:protein' --obs 'phi5=phi:5' --obs 'd=distance:index 0;index 1'
//
// A system without residues (the built-in ones, a JSON file) answers
// index, name, element, hydrogen and heavy only, and q counts each atom
// as a residue of its own.
//
// Names hold letters, digits, _, - and . only. A bad definition, a
// selection that matches nothing (or the wrong number of atoms), a q
// without native contacts or a name already taken is a usage error.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
