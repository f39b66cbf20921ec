package openmm_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/engine/openmm"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/system"
)

// BenchmarkPairSegment is one walker-segment of 1000 steps of the lj-pair,
// by the built-in engine and by the OpenMM engine on its Reference and CPU
// platforms (one thread), everything per walker included (for OpenMM: the
// request, the Context's reinitialisation with the walker's seed, the
// reply). It reports µs per step.
func BenchmarkPairSegment(b *testing.B) {
	const steps = 1000
	for _, c := range []struct{ name, platform string }{{"builtin", ""}, {"openmm-Reference", "Reference"}, {"openmm-CPU", "CPU"}} {
		b.Run(c.name, func(b *testing.B) {
			built, err := system.Builtins["lj-pair"].Build(nil)
			if err != nil {
				b.Fatal(err)
			}
			var w engine.Worker
			if c.platform == "" {
				comp, err := system.Compile(built.System)
				if err != nil {
					b.Fatal(err)
				}
				w, _ = engine.Start(context.Background(), engine.Langevin{}, comp.Engine, 0)
				benchSegments(b, w, comp, built, steps)
				return
			}
			b.Setenv("WE_OPENMM_PLATFORM", c.platform)
			b.Setenv("WE_OPENMM_THREADS", "1")
			if err := openmm.Translate(context.Background(), built); err != nil {
				b.Skip(err)
			}
			comp, err := system.Compile(built.System)
			if err != nil {
				b.Fatal(err)
			}
			if w, err = (openmm.Engine{}).Start(context.Background(), comp.Engine, 0); err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			benchSegments(b, w, comp, built, steps)
		})
	}
}

func benchSegments(b *testing.B, w engine.Worker, comp *system.Compiled, built *system.Built, steps int) {
	in := comp.EngineState(built.States[0])
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, _, err := w.Propagate(context.Background(), in, engine.Request{Walker: i, Steps: steps, Rand: rng.New([32]byte{byte(i)})})
		if err != nil {
			b.Fatal(err)
		}
		_ = out
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*steps), "µs/step")
}

// BenchmarkVillinWalker is one walker of villin headpiece in implicit
// solvent (582 atoms, amber99sbildn + OBC, HBonds) through the OpenMM
// engine on the CPU platform with one thread, for 1 and for 21 steps:
// the difference is 20 steps of OpenMM's own work, and what the 1-step
// walker costs beyond one step is the engine's overhead per walker (the
// request and reply, the Context's reinitialisation with the walker's
// seed, the energy of the final state).
func BenchmarkVillinWalker(b *testing.B) {
	const pdb = "/usr/lib/python3/dist-packages/openmm/app/data/test.pdb"
	if _, err := os.Stat(pdb); err != nil {
		b.Skip(err)
	}
	b.Setenv("WE_OPENMM_PLATFORM", "CPU")
	b.Setenv("WE_OPENMM_THREADS", "1")
	built, err := openmm.FromPDB(context.Background(), openmm.PDB{File: pdb, Keep: "protein",
		Forcefield: []string{"amber99sbildn.xml", "amber99_obc.xml"}, Integrator: system.Integrator{Temperature: 300, Friction: 1, Timestep: 0.002}})
	if err != nil {
		b.Skip(err)
	}
	comp, err := system.Compile(built.System)
	if err != nil {
		b.Fatal(err)
	}
	w, err := (openmm.Engine{}).Start(context.Background(), comp.Engine, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	in := comp.EngineState(built.States[0])
	for _, steps := range []int{1, 21} {
		b.Run(fmt.Sprintf("steps=%d", steps), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := w.Propagate(context.Background(), in, engine.Request{Walker: i, Steps: steps, Rand: rng.New([32]byte{byte(i)})}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
