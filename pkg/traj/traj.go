// Package traj writes trajectories — sequences of configurations of one
// system — in the formats molecular viewers and analysis libraries read:
// multi-model PDB, XYZ and DCD (the CHARMM/NAMD binary layout that VMD and
// MDTraj read), and the observables along a trajectory as CSV or JSON lines
// for plotting.
//
// Positions are in nm, as everywhere in wepipe; each format's own unit is
// applied on writing (Å for PDB, XYZ and DCD). A Writer streams: frames are
// written as they are given.
package traj

import (
	"fmt"
	"strings"
)

// Atom is one atom of a Topology.
type Atom struct {
	Name    string // atom name ("CA", "Ar")
	Element string // element symbol ("C", "Ar"); "" when unknown
	// Residue is the atom's index in Topology.Residues; it is read only
	// when the topology has residues.
	Residue int
}

// Residue is a residue (or molecule) of a Topology.
type Residue struct {
	Name  string // "ALA", "HOH"; PDB keeps 3 characters
	Seq   int    // residue number, as in the source (PDB keeps 4 digits)
	Chain string // chain identifier; PDB keeps 1 character ("" is "A")
}

// Topology is what a trajectory file says about the atoms besides their
// coordinates.
type Topology struct {
	Atoms []Atom
	// Residues are optional. Without them every molecule — a connected
	// component of Bonds, a lone atom included — is a residue of its own,
	// numbered from 1 in order of its first atom, in chain A, named after
	// its element for a lone atom ("AR") and "MOL" otherwise.
	Residues []Residue
	Bonds    [][2]int
}

// Check verifies that residues and bonds refer to existing entries.
func (t *Topology) Check() error {
	if len(t.Atoms) == 0 {
		return fmt.Errorf("topology: no atoms")
	}
	for i, a := range t.Atoms {
		if len(t.Residues) > 0 && (a.Residue < 0 || a.Residue >= len(t.Residues)) {
			return fmt.Errorf("topology: atom %d: residue %d of %d", i, a.Residue, len(t.Residues))
		}
	}
	for i, b := range t.Bonds {
		for _, a := range b {
			if a < 0 || a >= len(t.Atoms) {
				return fmt.Errorf("topology: bond %d: atom %d of %d", i, a, len(t.Atoms))
			}
		}
	}
	return nil
}

// WithResidues returns the topology with its residues filled in: itself
// when it has them, else the default of Topology.Residues.
func (t *Topology) WithResidues() *Topology {
	if len(t.Residues) > 0 {
		return t
	}
	n := len(t.Atoms)
	// Union–find over the bonds; a molecule is named by its smallest atom.
	root := make([]int, n)
	for i := range root {
		root[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for root[i] != i {
			root[i] = root[root[i]]
			i = root[i]
		}
		return i
	}
	for _, b := range t.Bonds {
		x, y := find(b[0]), find(b[1])
		if x != y {
			if x < y {
				root[y] = x
			} else {
				root[x] = y
			}
		}
	}
	size := make([]int, n)
	for i := range root {
		size[find(i)]++
	}
	out := &Topology{Atoms: make([]Atom, n), Bonds: t.Bonds}
	index := map[int]int{}
	for i, a := range t.Atoms {
		r := find(i)
		k, ok := index[r]
		if !ok {
			k = len(out.Residues)
			index[r] = k
			name := "MOL"
			if size[r] == 1 {
				name = strings.ToUpper(a.Element)
				if name == "" {
					name = strings.ToUpper(a.Name)
				}
				if name == "" {
					name = "UNK"
				}
			}
			out.Residues = append(out.Residues, Residue{Name: name, Seq: k + 1, Chain: "A"})
		}
		a.Residue = k
		out.Atoms[i] = a
	}
	return out
}

// Frame is one configuration of a trajectory and where it comes from.
type Frame struct {
	Positions []float64 // nm, x y z of each atom
	Box       []float64 // rectangular periodic box edges (nm), or nil
	Step      uint64    // integration steps since the initial state
	Time      float64   // ps since the initial state
	// Cycle, Slot and Weight place the frame in a weighted-ensemble run:
	// the cycle, the walker's slot in it and its weight.
	Cycle  uint64
	Slot   int
	Weight float64
	// Obs holds the values of the writer's observables, in their order;
	// NaN where a value is missing.
	Obs []float64
}

// Writer writes the frames of one trajectory.
type Writer interface {
	// WriteFrame writes one frame.
	WriteFrame(f *Frame) error
	// Close finishes the file (it does not close the underlying writer).
	Close() error
}

// checkFrame verifies that f holds the coordinates of n atoms.
func checkFrame(f *Frame, n int) error {
	if len(f.Positions) != 3*n {
		return fmt.Errorf("frame of %d coordinates for %d atoms", len(f.Positions), n)
	}
	if len(f.Box) != 0 && len(f.Box) != 3 {
		return fmt.Errorf("box of %d edges, want 3", len(f.Box))
	}
	return nil
}

// Format is a trajectory file format.
type Format string

const (
	PDB   Format = "pdb"
	XYZ   Format = "xyz"
	DCD   Format = "dcd"
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// Formats lists the formats, for messages.
var Formats = []Format{PDB, XYZ, DCD, CSV, JSONL}

// ParseFormat accepts a format name or a file name extension (".json" is
// JSON lines).
func ParseFormat(s string) (Format, error) {
	s = strings.ToLower(strings.TrimPrefix(s, "."))
	if s == "json" {
		return JSONL, nil
	}
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("format %q: want one of pdb, xyz, dcd, csv, jsonl", s)
}

// HasCoordinates reports whether the format holds positions (PDB, XYZ,
// DCD) rather than observables only.
func (f Format) HasCoordinates() bool { return f == PDB || f == XYZ || f == DCD }
