package selection

import (
	"fmt"
	"testing"
)

// benchTopology repeats peptide() k times as residues of one chain: 26
// atoms per copy, so k = 23 is about villin's 582 atoms.
func benchTopology(k int) *Topology {
	p := peptide()
	t := &Topology{}
	for c := 0; c < k; c++ {
		for i := range p.Names {
			t.Names = append(t.Names, p.Names[i])
			t.Elements = append(t.Elements, p.Elements[i])
			t.Residue = append(t.Residue, p.Residue[i]+c*len(p.Residues))
		}
		for _, r := range p.Residues {
			r.ID += 5 * c
			t.Residues = append(t.Residues, r)
		}
	}
	return t
}

// BenchmarkSelect: parsing and evaluating a typical selection, by system
// size (it runs once per we-init --obs or we-resample --image, never per
// step).
func BenchmarkSelect(b *testing.B) {
	for _, k := range []int{23, 2300} {
		top := benchTopology(k)
		b.Run(fmt.Sprintf("atoms=%d", top.NumAtoms()), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Select("protein and not element H and resid 2-35", top); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
