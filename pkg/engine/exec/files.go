package exec

import (
	"fmt"
	"io"
	"strconv"

	"github.com/wepipe/wepipe/pkg/record"
)

// WriteXYZ writes positions pos (nm, n×3 flat) of system sys in the XYZ
// format: the atom count, a comment line, then one line per atom with its
// element (its name where the element is unknown) and x y z in ångström,
// as XYZ files conventionally are. Each coordinate is the shortest
// decimal of 10·x, so a reader that divides by 10 recovers x to the last
// bit or the next.
func WriteXYZ(w io.Writer, sys *record.System, pos []float64, step uint64, time float64) error {
	n := len(pos) / 3
	if _, err := fmt.Fprintf(w, "%d\nwepipe %s: step %d, time %s ps; positions in angstrom\n", n, sys.Name, step, strconv.FormatFloat(time, 'g', -1, 64)); err != nil {
		return err
	}
	b := make([]byte, 0, 96)
	for i := 0; i < n; i++ {
		b = append(b[:0], atomLabel(sys, i)...)
		for k := 0; k < 3; k++ {
			b = append(b, ' ')
			b = strconv.AppendFloat(b, 10*pos[3*i+k], 'g', -1, 64)
		}
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// atomLabel is atom i's element, or its name where the element is
// unknown.
func atomLabel(sys *record.System, i int) string {
	if i < len(sys.Particles.Elements) && sys.Particles.Elements[i] != "" {
		return sys.Particles.Elements[i]
	}
	if i < len(sys.Particles.Names) && sys.Particles.Names[i] != "" {
		return sys.Particles.Names[i]
	}
	return "X"
}

// WritePDB writes positions pos (nm) of system sys as a PDB file (Å, three
// decimals: PDB's precision): a CRYST1 record for a box, then one ATOM
// record per atom with the system's atom and residue names, chains and
// residue numbers (UNK 1 for a system without residues), and END. Serial
// numbers wrap at 100,000 and residue numbers at 10,000, as the format's
// columns require.
func WritePDB(w io.Writer, sys *record.System, pos []float64, box []float64) error {
	if len(box) == 3 {
		if _, err := fmt.Fprintf(w, "CRYST1%9.3f%9.3f%9.3f%7.2f%7.2f%7.2f P 1           1\n", 10*box[0], 10*box[1], 10*box[2], 90.0, 90.0, 90.0); err != nil {
			return err
		}
	}
	p := sys.Particles
	n := len(pos) / 3
	for i := 0; i < n; i++ {
		name := ""
		if i < len(p.Names) {
			name = p.Names[i]
		}
		if len(name) < 4 {
			name = " " + name
		}
		res, chain, id := "UNK", "", 1
		if i < len(p.Residue) && p.Residue[i] < len(p.Residues) {
			r := p.Residues[p.Residue[i]]
			res, chain, id = r.Name, r.Chain, r.ID
		}
		el := ""
		if i < len(p.Elements) {
			el = p.Elements[i]
		}
		if _, err := fmt.Fprintf(w, "ATOM  %5d %-4.4s %3.3s %1.1s%4d    %8.3f%8.3f%8.3f  1.00  0.00          %2.2s\n",
			(i+1)%100000, name, res, chain, ((id%10000)+10000)%10000, 10*pos[3*i], 10*pos[3*i+1], 10*pos[3*i+2], el); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "END\n")
	return err
}
