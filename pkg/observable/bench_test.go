package observable

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
)

// loop runs f b.N times and reports, besides the wall time, the thread's
// CPU time per call (cpu-ns/op): on a machine shared with other jobs
// the wall time counts their turns too, the CPU time does not.
func loop(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var r0, r1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_THREAD, &r0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f()
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_THREAD, &r1)
	ns := (r1.Utime.Nano() + r1.Stime.Nano()) - (r0.Utime.Nano() + r0.Stime.Nano())
	b.ReportMetric(float64(ns)/float64(b.N), "cpu-ns/op")
}

// globule is a synthetic protein of n atoms: a random walk of 0.15 nm
// steps folded into a ball at a protein's density (100 atoms/nm³), 17
// atoms per residue, every other atom a hydrogen (returned: the heavy
// atoms).
func globule(n int) (pos []float64, residue, heavy []int) {
	r := rand.New(rand.NewPCG(uint64(n), 1))
	radius := math.Cbrt(3 * float64(n) / (4 * math.Pi * 100))
	x := [3]float64{}
	for i := 0; i < n; i++ {
		for {
			var y [3]float64
			var l2 float64
			for k := range y {
				y[k] = r.NormFloat64()
				l2 += y[k] * y[k]
			}
			var d2 float64
			for k := range y {
				y[k] = x[k] + 0.15*y[k]/math.Sqrt(l2)
				d2 += y[k] * y[k]
			}
			if d2 < radius*radius {
				x = y
				break
			}
		}
		pos = append(pos, x[:]...)
		residue = append(residue, i/17)
		if i%2 == 0 {
			heavy = append(heavy, i)
		}
	}
	return pos, residue, heavy
}

// BenchmarkEval: one evaluation of each protein observable, by system
// size; 582 atoms is villin's protein. q's cost is per native contact
// (reported), which in this synthetic globule are more than in a real
// protein (BenchmarkVillin has villin's own).
func BenchmarkEval(b *testing.B) {
	for _, n := range []int{582, 5820} {
		pos, residue, heavy := globule(n)
		ref := coords(pos, heavy)
		moved := append([]float64(nil), pos...)
		for i := range moved {
			moved[i] += 0.01 * math.Sin(float64(i))
		}
		masses := make([]float64, n)
		for i := range masses {
			masses[i] = 12
		}
		for _, sp := range []Spec{
			{Type: "dihedral", Atoms: []int{4, 6, 8, 14}},
			{Type: "rg", Atoms: heavy, Masses: masses},
			{Type: "rmsd", Atoms: heavy, Ref: ref},
			{Type: "q", Atoms: heavy, Ref: ref, Residue: residue},
		} {
			sp.Name = sp.Type
			s, err := Compile([]Spec{sp}, n, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/atoms=%d", sp.Type, n), func(b *testing.B) {
				out := make([]float64, 1)
				loop(b, func() { s.Eval(moved, out) })
				if sp.Type == "q" {
					b.ReportMetric(float64(len(s.obs[0].r0)), "contacts")
				}
			})
		}
		b.Run(fmt.Sprintf("native-contacts/atoms=%d", n), func(b *testing.B) {
			loop(b, func() { NativeContacts(ref, heavy, residue, nil) })
		})
	}
}

// BenchmarkVillin: the observables of a villin run on the real protein
// (582 atoms; needs MDTraj, like TestMDTraj, to read it): φ of residue
// 5, Rg of all atoms, RMSD of the 35 CA and of the 292 heavy atoms, Q
// over the heavy atoms (361 native contacts), and the five in one Set
// as a step evaluates them.
func BenchmarkVillin(b *testing.B) {
	ref, top := loadVillin(b)
	pos := ref.Frames[4] // noise of 0.1 nm
	all := mustSelect(b, "all", top)
	ca := mustSelect(b, "name CA", top)
	heavy := mustSelect(b, "protein and heavy", top)
	phi := mustSelect(b, "(resid 4 and name C) or (resid 5 and name N CA C)", top)
	specs := []Spec{
		{Name: "phi5", Type: "dihedral", Atoms: phi},
		{Name: "rg", Type: "rg", Atoms: all, Masses: ref.Masses},
		{Name: "rmsd-ca", Type: "rmsd", Atoms: ca, Ref: coords(ref.Frames[0], ca)},
		{Name: "rmsd-heavy", Type: "rmsd", Atoms: heavy, Ref: coords(ref.Frames[0], heavy)},
		{Name: "q", Type: "q", Atoms: heavy, Ref: coords(ref.Frames[0], heavy), Residue: ref.Residue},
	}
	for _, sp := range specs {
		s, err := Compile([]Spec{sp}, len(all), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(sp.Name, func(b *testing.B) {
			out := make([]float64, 1)
			loop(b, func() { s.Eval(pos, out) })
		})
	}
	s, err := Compile(specs, len(all), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("all-five", func(b *testing.B) {
		out := make([]float64, s.Len())
		loop(b, func() { s.Eval(pos, out) })
	})
	b.Run("compile-all-five", func(b *testing.B) {
		loop(b, func() {
			if _, err := Compile(specs, len(all), nil); err != nil {
				b.Fatal(err)
			}
		})
	})
}
