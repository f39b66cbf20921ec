// we-init creates a store if needed, a system and the initial snapshot of a
// weighted-ensemble run, and prints the snapshot's hash.
//
// Usage:
//
//	we-init --system NAME|FILE [--walkers N] [--seed N] [--set key=value]...
//	        [--obs NAME=TYPE:ARGS]... [--store DIR]
//	        [--engine langevin|openmm|exec] [--exec CMD [--exec-mode worker|segment] [--exec-timeout S]]
//	we-init --pdb FILE (--forcefield FF[,FF…] | --openmm-xml SYSTEM.xml)
//	        [--keep all|protein|nowater] [--ff-option KEY=VALUE]... [--set key=value]...
//	        [--obs NAME=TYPE:ARGS]... [options]
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
// Engines (ENGINES.md). By default a system runs with its own engine (the
// built-in BAOAB integrator for built-in systems). These flags choose
// another:
//
//	--engine openmm     run the system through OpenMM: its potential terms
//	                    become an OpenMM System stored in the record (for
//	                    cross-checks of the two engines)
//	--exec CMD          run the system with an external program (engine
//	                    exec): its argument vector, words split at spaces or
//	                    a JSON array of strings; never a shell
//	--exec-mode MODE    worker (default): one process per worker serves its
//	                    walkers over stdin/stdout (ENGINES.md §2); segment:
//	                    the program runs once per walker on files in a
//	                    scratch directory (§3), as WESTPA's runseg.sh
//	--exec-timeout S    time limit per walker in seconds (default: none)
//
// A molecule with OpenMM (ENGINES.md §4; Debian's python3-simtk,
// libopenmm-plugins and python3-cbor2):
//
//	--pdb FILE          the structure (PDB, or PDBx/mmCIF .cif): atoms,
//	                    residues, chains, bonds and the initial positions
//	--forcefield FFS    OpenMM force-field files, comma separated, by
//	                    OpenMM's names or paths: amber99sbildn.xml,amber99_obc.xml
//	                    (implicit solvent), amber14-all.xml,amber14/tip3p.xml
//	--openmm-xml FILE   a System serialized by XmlSerializer elsewhere,
//	                    instead of --forcefield; its particles are the kept
//	                    atoms in order
//	--keep PART         all (default), protein (standard amino acids and
//	                    caps: no water, ions or ligands) or nowater
//	--ff-option K=V     a createSystem option (repeatable), units nm, amu,
//	                    mol/L: nonbondedMethod=NoCutoff|CutoffNonPeriodic|
//	                    CutoffPeriodic|Ewald|PME|LJPME, nonbondedCutoff=1.0,
//	                    constraints=None|HBonds|AllBonds|HAngles (default
//	                    HBonds), rigidWater, removeCMMotion,
//	                    useDispersionCorrection (true|false), hydrogenMass,
//	                    switchDistance, ewaldErrorTolerance,
//	                    implicitSolventSaltConc, implicitSolventKappa,
//	                    soluteDielectric, solventDielectric
//	--set K=V           temperature (K, default 300), friction (1/ps,
//	                    default 1), timestep (ps, default 0.002)
//
// The system record holds the serialized System and the topology, so a
// store copied to another machine runs there without these files. Its
// initial state is the file's positions with zero velocities and the
// potential energy OpenMM computes; its observable rmsd is the RMSD (nm)
// of the Cα atoms to that structure after superposition.
//
//	we-init --pdb test.pdb --keep protein --forcefield amber99sbildn.xml,amber99_obc.xml
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
