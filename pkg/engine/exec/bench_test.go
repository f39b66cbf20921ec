package exec_test

import (
	"context"
	"os"
	osexec "os/exec"
	"testing"

	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/engine/exec"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/system"
)

// benchWorker measures one walker-segment of a no-op engine on the
// lj-pair: what the protocol costs per walker, the engine's own work
// aside. The system record carries no command; cfg does.
func benchWorker(b *testing.B, cfg exec.Config) {
	built, err := system.Builtins["lj-pair"].Build(nil)
	if err != nil {
		b.Fatal(err)
	}
	built.System.Engine = "exec"
	built.System.Exec = &record.Exec{Command: cfg.Command}
	comp, err := system.Compile(built.System)
	if err != nil {
		b.Fatal(err)
	}
	w, err := exec.Start(context.Background(), cfg, comp.Engine, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	in := comp.EngineState(built.States[0])
	r := rng.New([32]byte{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := w.Propagate(context.Background(), in, engine.Request{Walker: i, Steps: 1, Rand: r}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWorkerNoop: worker mode, the Go fake engine echoing states.
func BenchmarkWorkerNoop(b *testing.B) {
	b.Setenv("WE_FAKE_ENGINE", "1")
	b.Setenv("WE_FAKE", "echo")
	benchWorker(b, exec.Config{Command: []string{os.Args[0]}})
}

// BenchmarkWorkerNoopPython: worker mode, scripts/engines/example_engine.py
// --noop (Python, cbor2).
func BenchmarkWorkerNoopPython(b *testing.B) {
	p, err := os.Stat("../../../scripts/engines/example_engine.py")
	if err != nil || p.IsDir() {
		b.Skip("no example engine")
	}
	benchWorker(b, exec.Config{Command: []string{"/usr/bin/python3", "../../../scripts/engines/example_engine.py", "--noop"}})
}

// BenchmarkSegmentNoop: per-segment mode with cp as the engine (it copies
// the input state record to the output, which the mode accepts): the
// scratch directory, the three input files, a fork and exec of a small
// program, reading the state back.
func BenchmarkSegmentNoop(b *testing.B) {
	b.Setenv("WE_SCRATCH", b.TempDir())
	benchWorker(b, exec.Config{Command: []string{"/bin/cp", exec.FileStateIn, exec.FileStateOut}, Segment: true})
}

// BenchmarkSegmentNoopGo: per-segment mode with the Go fake engine (a
// test binary: its start is a Go program's, about 10 MB).
func BenchmarkSegmentNoopGo(b *testing.B) {
	b.Setenv("WE_SCRATCH", b.TempDir())
	b.Setenv("WE_FAKE_ENGINE", "1")
	b.Setenv("WE_FAKE", "echo")
	benchWorker(b, exec.Config{Command: []string{os.Args[0]}, Segment: true})
}

// BenchmarkSpawn is the baseline of the per-segment mode: cp copying a
// state file, started and waited for by Go, without wepipe; the
// difference to BenchmarkSegmentNoop is what the mode adds (directory,
// input files, reading the result). Process starts dominate both, and a
// machine's load slows them most.
func BenchmarkSpawn(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(dir+"/in.cbor", make([]byte, 300), 0o644); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		cmd := osexec.Command("/bin/cp", "in.cbor", "out.cbor")
		cmd.Dir = dir
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}
