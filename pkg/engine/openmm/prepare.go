package openmm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/engine/exec"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/system"
)

// PDB says how to build a system from a structure file (we-init --pdb).
type PDB struct {
	// File is the structure: PDB, or PDBx/mmCIF (.cif, .pdbx).
	File string
	// Keep is the part of the file kept: "all" (default), "protein" (the
	// standard amino acids and their caps: no water, ions or ligands) or
	// "nowater".
	Keep string
	// Forcefield lists OpenMM force-field files, by OpenMM's names
	// (amber99sbildn.xml, amber99_obc.xml) or paths.
	Forcefield []string
	// Options are createSystem's options as text, in nm, amu and mol/L:
	// nonbondedMethod=PME, nonbondedCutoff=1.0, constraints=HBonds (the
	// default), hydrogenMass=4 … (ENGINES.md §4.2).
	Options map[string]string
	// XML is a serialized System to use instead of a force field (we-init
	// --openmm-xml); its particles are the kept atoms, in order.
	XML string
	// Integrator holds the temperature (K), friction (1/ps) and time step
	// (ps) of the Langevin integrator.
	Integrator system.Integrator
}

// request is prepare's input (openmm_engine.py prepare).
type request struct {
	PDB        string            `cbor:"pdb,omitempty"`
	Keep       string            `cbor:"keep,omitempty"`
	Forcefield []string          `cbor:"forcefield,omitempty"`
	Options    map[string]string `cbor:"options,omitempty"`
	XML        string            `cbor:"xml,omitempty"`
	Terms      []term            `cbor:"terms,omitempty"`
	Masses     []float64         `cbor:"masses,omitempty"`
	Box        []float64         `cbor:"box,omitempty"`
}

type term struct {
	Type   string             `cbor:"type"`
	Params map[string]float64 `cbor:"params,omitempty"`
	Atoms  []int              `cbor:"atoms,omitempty"`
}

// answer is prepare's output.
type answer struct {
	Type      string           `cbor:"type"`
	Message   string           `cbor:"message,omitempty"`
	Version   string           `cbor:"version,omitempty"`
	System    string           `cbor:"system,omitempty"`
	Names     []string         `cbor:"names,omitempty"`
	Elements  []string         `cbor:"elements,omitempty"`
	Masses    []float64        `cbor:"masses,omitempty"`
	Residues  []record.Residue `cbor:"residues,omitempty"`
	Residue   []int            `cbor:"residue,omitempty"`
	Bonds     []int            `cbor:"bonds,omitempty"`
	Positions *codec.Array     `cbor:"positions,omitempty"`
	Box       []float64        `cbor:"box,omitempty"`
	Epot      float64          `cbor:"epot,omitempty"`
}

// run runs the program's prepare mode on req.
func run(ctx context.Context, req *request) (*answer, error) {
	cmd, err := Command()
	if err != nil {
		return nil, err
	}
	var in, out bytes.Buffer
	if err := exec.WriteMessage(&in, req); err != nil {
		return nil, err
	}
	var stderr tailBuffer
	c := osexec.CommandContext(ctx, cmd[0], append(cmd[1:], "prepare")...)
	c.Stdin, c.Stdout, c.Stderr = &in, &out, &stderr
	runErr := c.Run()
	b, err := exec.ReadMessage(&out)
	if err != nil {
		if runErr != nil {
			return nil, fmt.Errorf("openmm: %s %s prepare: %v%s", cmd[0], cmd[1], runErr, stderr.tail())
		}
		return nil, fmt.Errorf("openmm: prepare: no answer: %v%s", err, stderr.tail())
	}
	var a answer
	if err := codec.UnmarshalStrict(b, &a); err != nil {
		return nil, fmt.Errorf("openmm: prepare: malformed answer: %v%s", err, stderr.tail())
	}
	if a.Type == "error" {
		return nil, fmt.Errorf("openmm: %s", a.Message)
	}
	if a.Type != "prepared" || a.System == "" {
		return nil, fmt.Errorf("openmm: prepare: answer of type %q without a system%s", a.Type, stderr.tail())
	}
	return &a, nil
}

// tailBuffer keeps what a short-lived program wrote to stderr, for errors.
type tailBuffer struct{ bytes.Buffer }

func (t *tailBuffer) tail() string {
	s := strings.TrimSpace(t.String())
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 12 {
		lines = lines[len(lines)-12:]
	}
	return "; its stderr ends:\n    " + strings.Join(lines, "\n    ")
}

// FromPDB builds the system of a structure file run by OpenMM: the kept
// atoms with their names, elements, residues and bonds, their masses from
// the System, the positions of the file as the initial state (velocities
// zero, its potential energy computed by OpenMM), the box of a periodic
// System, and the observable rmsd: the RMSD (nm) of the Cα atoms to the
// initial structure after superposition, where there are Cα atoms.
func FromPDB(ctx context.Context, p PDB) (*system.Built, error) {
	if p.Keep == "" {
		p.Keep = "all"
	}
	file, err := filepath.Abs(p.File)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(file); err != nil {
		return nil, err
	}
	req := &request{PDB: file, Keep: p.Keep, Forcefield: p.Forcefield, Options: p.Options}
	if p.XML != "" {
		if req.XML, err = filepath.Abs(p.XML); err != nil {
			return nil, err
		}
		if _, err := os.Stat(req.XML); err != nil {
			return nil, err
		}
	} else if len(p.Forcefield) == 0 {
		return nil, fmt.Errorf("a force field (--forcefield) or a serialized System (--openmm-xml) is needed")
	}
	a, err := run(ctx, req)
	if err != nil {
		return nil, err
	}
	n := len(a.Names)
	if n == 0 || len(a.Masses) != n || len(a.Elements) != n || len(a.Residue) != n || a.Positions == nil || len(a.Positions.Data) != 3*n {
		return nil, fmt.Errorf("openmm: prepare: inconsistent topology (%d names, %d masses)", n, len(a.Masses))
	}
	sp := &system.Spec{
		Name:       strings.TrimSuffix(filepath.Base(p.File), filepath.Ext(p.File)),
		Engine:     "openmm",
		Integrator: p.Integrator,
		Box:        a.Box,
		Residues:   a.Residues,
		Residue:    a.Residue,
		Initial:    []system.InitialSpec{{Positions: rows(a.Positions.Data), Potential: a.Epot}},
	}
	for i := range a.Names {
		sp.Particles = append(sp.Particles, system.Particle{Name: a.Names[i], Element: a.Elements[i], Mass: a.Masses[i]})
	}
	for k := 0; k+1 < len(a.Bonds); k += 2 {
		sp.Bonds = append(sp.Bonds, [2]int{a.Bonds[k], a.Bonds[k+1]})
	}
	var ca []int
	var ref [][]float64
	for i, name := range a.Names {
		if name == "CA" && a.Elements[i] == "C" {
			ca = append(ca, i)
			ref = append(ref, a.Positions.Data[3*i:3*i+3])
		}
	}
	if len(ca) > 0 {
		sp.Observables = []system.ObservableSpec{{Name: "rmsd", Type: "rmsd", Atoms: ca, Ref: ref}}
	}
	om := &record.OpenMM{System: a.System, Version: a.Version, Options: map[string]string{"keep": p.Keep}}
	if p.XML != "" {
		om.Options["xml"] = filepath.Base(p.XML)
	} else {
		om.Forcefield = p.Forcefield
		for k, v := range p.Options {
			om.Options[k] = v
		}
	}
	sp.OpenMM = om
	return sp.Build()
}

func rows(flat []float64) [][]float64 {
	out := make([][]float64, len(flat)/3)
	for i := range out {
		out[i] = flat[3*i : 3*i+3 : 3*i+3]
	}
	return out
}

// Translate makes a built system run through OpenMM: its potential terms
// become an OpenMM System (lj, lj-cut, double-well, muller-brown,
// harmonic-bond and harmonic-position have translations), the engine
// becomes "openmm", and the terms stay in the record as its description.
// The initial states keep the energies the built-in potential gave them.
func Translate(ctx context.Context, built *system.Built) error {
	sys := built.System
	req := &request{Masses: sys.Particles.Masses.Data, Box: sys.Box}
	for _, t := range sys.Potential {
		req.Terms = append(req.Terms, term{Type: t.Type, Params: t.Params, Atoms: t.Atoms})
	}
	if len(req.Terms) == 0 {
		return fmt.Errorf("openmm: system %s has no potential terms to translate", sys.Name)
	}
	a, err := run(ctx, req)
	if err != nil {
		return err
	}
	sys.Engine = "openmm"
	sys.OpenMM = &record.OpenMM{System: a.System, Version: a.Version, Options: map[string]string{"system": sys.Name}}
	return sys.Validate()
}

// OptionNames lists createSystem's options that PDB.Options accepts.
var OptionNames = func() []string {
	n := []string{"nonbondedMethod", "nonbondedCutoff", "switchDistance", "constraints", "rigidWater",
		"removeCMMotion", "useDispersionCorrection", "hydrogenMass", "ewaldErrorTolerance",
		"implicitSolventSaltConc", "implicitSolventKappa", "soluteDielectric", "solventDielectric"}
	sort.Strings(n)
	return n
}()
