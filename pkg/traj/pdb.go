package traj

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
)

// pdbWriter writes a multi-model PDB file (wwPDB format v3.3): a REMARK
// with the title, CRYST1 when the first frame has a box, one MODEL … ENDMDL
// of ATOM records per frame, the bonds as CONECT records, END. Coordinates
// are in Å with 3 decimals (8.3f), so that a position is kept to 1e-4 nm.
type pdbWriter struct {
	w      *bufio.Writer
	top    *Topology
	lines  []string // each atom's ATOM record up to the coordinates
	tails  []string // and after them
	frames int
	err    error
}

// NewPDB returns a Writer of a multi-model PDB file for the topology.
// Atom serial numbers and residue numbers wrap as the format's fields
// require (at 100000 and 10000), as OpenMM and MDTraj write them; CONECT
// records are written only for topologies of fewer than 100000 atoms.
func NewPDB(w io.Writer, top *Topology, title string) (Writer, error) {
	if err := top.Check(); err != nil {
		return nil, err
	}
	t := top.WithResidues()
	p := &pdbWriter{w: bufio.NewWriterSize(w, 64<<10), top: t}
	for i, a := range t.Atoms {
		r := t.Residues[a.Residue]
		el := strings.ToUpper(field(a.Element, 2))
		name := field(a.Name, 4)
		// Atom names of one-letter elements start in column 14.
		if len(name) < 4 && len(el) < 2 {
			name = " " + name
		}
		chain := field(r.Chain, 1)
		if chain == "" {
			chain = "A"
		}
		p.lines = append(p.lines, fmt.Sprintf("ATOM  %5d %-4s %3s %1s%4d    ", (i+1)%100000, name, field(r.Name, 3), chain, mod(r.Seq, 10000)))
		p.tails = append(p.tails, fmt.Sprintf("%6.2f%6.2f          %2s  ", 1.0, 0.0, el))
	}
	for _, line := range wrap("REMARK   1 ", title, 69) {
		p.str(line)
	}
	return p, p.err
}

func (p *pdbWriter) str(s string) {
	if p.err == nil {
		_, p.err = p.w.WriteString(s + "\n")
	}
}

func (p *pdbWriter) WriteFrame(f *Frame) error {
	if p.err != nil {
		return p.err
	}
	if err := checkFrame(f, len(p.top.Atoms)); err != nil {
		return fmt.Errorf("pdb: %w", err)
	}
	for i, x := range f.Positions {
		if a := 10 * x; !(a > -999.9995 && a < 9999.9995) {
			return fmt.Errorf("pdb: frame %d: atom %d is at %g nm, beyond what a PDB coordinate field holds (−99.9 to 999.9 nm); write XYZ or DCD", p.frames, i/3, x)
		}
	}
	if p.frames == 0 && len(f.Box) == 3 {
		p.str(fmt.Sprintf("CRYST1%9.3f%9.3f%9.3f%7.2f%7.2f%7.2f P 1           1", 10*f.Box[0], 10*f.Box[1], 10*f.Box[2], 90.0, 90.0, 90.0))
	}
	p.frames++
	p.str(fmt.Sprintf("MODEL     %4d", p.frames%10000))
	var b strings.Builder
	for i := range p.top.Atoms {
		b.Reset()
		b.WriteString(p.lines[i])
		fmt.Fprintf(&b, "%8.3f%8.3f%8.3f", 10*f.Positions[3*i], 10*f.Positions[3*i+1], 10*f.Positions[3*i+2])
		b.WriteString(p.tails[i])
		p.str(b.String())
	}
	p.str("ENDMDL")
	return p.err
}

func (p *pdbWriter) Close() error {
	if p.err != nil {
		return p.err
	}
	if n := len(p.top.Atoms); n < 100000 && len(p.top.Bonds) > 0 {
		partners := make([][]int, n)
		for _, b := range p.top.Bonds {
			if b[0] != b[1] {
				partners[b[0]] = append(partners[b[0]], b[1])
				partners[b[1]] = append(partners[b[1]], b[0])
			}
		}
		for i, ps := range partners {
			for k := 0; k < len(ps); k += 4 {
				line := fmt.Sprintf("CONECT%5d", i+1)
				for _, j := range ps[k:min(k+4, len(ps))] {
					line += fmt.Sprintf("%5d", j+1)
				}
				p.str(line)
			}
		}
	}
	p.str("END")
	if p.err == nil {
		p.err = p.w.Flush()
	}
	return p.err
}

// field keeps the printable ASCII of s, at most n characters, without
// surrounding spaces: what a fixed-width field can hold.
func field(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if r > ' ' && r < 0x7f && b.Len() < n {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// wrap splits text (printable ASCII kept) into records of prefix and at
// most width characters, between words where it can.
func wrap(prefix, text string, width int) []string {
	var clean strings.Builder
	for _, r := range text {
		if r >= ' ' && r < 0x7f {
			clean.WriteRune(r)
		} else {
			clean.WriteByte('?')
		}
	}
	s := clean.String()
	var out []string
	for len(s) > width {
		cut := strings.LastIndexByte(s[:width+1], ' ')
		if cut <= 0 {
			cut = width
		}
		out = append(out, prefix+strings.TrimRight(s[:cut], " "))
		s = strings.TrimLeft(s[cut:], " ")
	}
	return append(out, prefix+s)
}

func mod(x, m int) int {
	return int(math.Abs(float64(x % m)))
}
