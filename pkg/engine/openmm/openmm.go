// Package openmm runs wepipe systems through OpenMM (ENGINES.md §4): the
// engine "openmm", a worker of the worker protocol (package exec) written
// in Python against Debian's python3-simtk, and the preparation of systems
// for we-init — a molecule from a PDB file and OpenMM force-field files,
// a System serialized elsewhere, or a built-in system translated for
// cross-checks.
//
// The Python program ships inside the Go binaries (go:embed) and is
// written, the first time it is needed, to the user's cache directory
// under a name that carries its SHA-256, so that it is found without any
// path of the user's machine and two versions of wepipe never share one
// file. The interpreter is $WE_PYTHON, else /usr/bin/python3 where it
// exists (the Python of Debian's OpenMM packages), else python3 from
// PATH.
//
// The system record carries the serialized System (record.OpenMM), so a
// store copied to another machine runs there without the files it was
// made from. Results are reproducible for a given platform and thread
// count (the worker reseeds OpenMM per walker from the walker's seed), not
// across platforms: OpenMM's kernels differ in their arithmetic.
package openmm

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/engine/exec"
)

//go:embed openmm_engine.py
var script []byte

// Engine is the "openmm" engine.
type Engine struct{}

func init() { engine.Register("openmm", Engine{}) }

// Start starts an OpenMM worker process for worker number worker.
func (Engine) Start(ctx context.Context, sys *engine.System, worker int) (engine.Worker, error) {
	cmd, err := Command()
	if err != nil {
		return nil, err
	}
	return exec.Start(ctx, exec.Config{Command: cmd, Name: "openmm"}, sys, worker)
}

// Propagate runs one walker on a worker of its own, for callers that do
// not keep workers.
func (e Engine) Propagate(ctx context.Context, sys *engine.System, in engine.State, req engine.Request) (engine.State, []engine.Frame, error) {
	w, err := e.Start(ctx, sys, req.Worker)
	if err != nil {
		return engine.State{}, nil, fmt.Errorf("walker %d: %w", req.Walker, err)
	}
	defer w.Close()
	return w.Propagate(ctx, in, req)
}

// Python returns the interpreter that runs the engine: $WE_PYTHON, else
// /usr/bin/python3 where it exists, else "python3" (looked up in PATH).
func Python() string {
	if p := os.Getenv("WE_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// Command is the engine's command line: the interpreter and the script.
func Command() ([]string, error) {
	p, err := Script()
	if err != nil {
		return nil, err
	}
	return []string{Python(), p}, nil
}

var scriptOnce = sync.OnceValues(writeScript)

// Script returns the path of the engine's Python program, writing it to
// the cache directory if it is not there (once per process).
func Script() (string, error) { return scriptOnce() }

// Source is the engine's Python program.
func Source() []byte { return append([]byte(nil), script...) }

func writeScript() (string, error) {
	sum := sha256.Sum256(script)
	name := "openmm_engine-" + hex.EncodeToString(sum[:6]) + ".py"
	var errs []error
	for _, dir := range cacheDirs() {
		p := filepath.Join(dir, name)
		if b, err := os.ReadFile(p); err == nil && sha256.Sum256(b) == sum {
			return p, nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		f, err := os.CreateTemp(dir, name+".*.tmp")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, err = f.Write(script)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), p)
		}
		if err != nil {
			os.Remove(f.Name())
			errs = append(errs, err)
			continue
		}
		return p, nil
	}
	return "", fmt.Errorf("openmm engine: cannot write its program: %w", errors.Join(errs...))
}

// cacheDirs are where the program may be written: the user's cache
// directory, else the temporary directory.
func cacheDirs() []string {
	var dirs []string
	if d, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "wepipe"))
	}
	return append(dirs, filepath.Join(os.TempDir(), fmt.Sprintf("wepipe-%d", os.Getuid())))
}
