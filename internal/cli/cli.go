// Package cli is what every wepipe tool shares (ARCHITECTURE.md §5): the store flag,
// flags accepted before or after arguments, hashes from arguments or stdin,
// diagnostics on stderr prefixed with the tool's name, exit codes
// (0 success, 1 failure, 2 usage) and the manual printed by -h.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Env is a tool's world: its name, manual and standard streams.
type Env struct {
	Name   string
	Doc    string // the manual (from the tool's doc.go)
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// NewEnv returns an Env over the process's streams.
func NewEnv(name, docSrc string, stdin io.Reader, stdout, stderr io.Writer) *Env {
	// Every tool decodes records; the first decode of a type costs 0.2 ms
	// more than the next (the codec builds its tables by reflection), so
	// that is done now on the idle core while the tool parses its flags,
	// opens the store and waits for its input.
	go record.Warm()
	return &Env{Name: name, Doc: Manual(docSrc), Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
}

// Manual turns a doc.go source into the text -h prints: the package
// comment without comment markers.
func Manual(src string) string {
	var b strings.Builder
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(line, "package ") || strings.HasPrefix(line, "//go:") {
			break
		}
		if strings.HasPrefix(line, "//") {
			line = strings.TrimPrefix(line, "//")
			line = strings.TrimPrefix(line, " ")
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// UsageError marks an error in how a tool was called (exit 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError.
func Usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// Errorf prints "name: message" on stderr, the name before every line of
// a message of several (an engine's stderr quoted in an error).
func (e *Env) Errorf(format string, a ...any) {
	msg := strings.ReplaceAll(fmt.Sprintf(format, a...), "\n", "\n"+e.Name+": ")
	fmt.Fprintf(e.Stderr, "%s: %s\n", e.Name, msg)
}

// Finish ends a tool: it closes stdout, when it is a file, and returns
// the exit code err deserves (0 for a request for the manual), printing
// err once. Everything is written by then: closing stdout tells the next
// stage of a pipeline (we-step | we-resample) that its input is complete
// while this process is still being torn down.
func (e *Env) Finish(err error) int {
	if f, ok := e.Stdout.(*os.File); ok {
		f.Close()
	}
	if errors.Is(err, ErrHelp) {
		return ExitOK
	}
	return e.Fail(err)
}

// Fail prints err once and returns the exit code it deserves.
func (e *Env) Fail(err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	if errors.As(err, &ue) || errors.Is(err, store.ErrBadHash) {
		if ue != nil {
			e.Errorf("%s", ue.Msg)
		} else {
			e.Errorf("%v", err)
		}
		fmt.Fprintf(e.Stderr, "%s: run '%s -h' for the manual\n", e.Name, e.Name)
		return ExitUsage
	}
	e.Errorf("%v", err)
	return ExitFailure
}

// FlagSet returns a flag set for the tool with --store registered.
func (e *Env) FlagSet() (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(e.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("store", "", "store directory (default $WE_STORE, else ./we.store)")
	fs.Bool("version", false, "print the version and exit")
	return fs, dir
}

// ErrHelp is returned by Parse when -h or --version was given; the manual
// or the version has been printed and the tool should exit 0.
var ErrHelp = errors.New("help requested")

// Version describes this build: wepipe's module version and VCS revision
// (from the build information Go records), the version of its algorithms
// (recorded in every snapshot's op: the same for builds whose outputs
// agree), and the Go release.
func Version() string {
	mod, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			mod = bi.Main.Version
		}
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && dirty {
			rev += "+modified"
		}
	}
	if rev != "" {
		mod += " " + rev
	}
	return fmt.Sprintf("wepipe %s, algorithms %s, %s", mod, record.AlgorithmVersion, runtime.Version())
}

// Parse parses flags given before, between or after positional arguments
// ("we-ls walkers HASH --json"); "--" ends flags. It prints the manual on
// -h and returns ErrHelp.
func (e *Env) Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(e.Stdout, e.Doc)
			return nil, ErrHelp
		}
		if err != nil {
			return nil, &UsageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 || (len(args)-len(rest) > 0 && args[len(args)-len(rest)-1] == "--") {
			if v := fs.Lookup("version"); v != nil && v.Value.String() == "true" {
				fmt.Fprintf(e.Stdout, "%s: %s\n", e.Name, Version())
				return nil, ErrHelp
			}
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// StoreDir resolves the store directory: the flag, else $WE_STORE, else
// ./we.store.
func (e *Env) StoreDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := e.Getenv("WE_STORE"); v != "" {
		return v
	}
	return "we.store"
}

// OpenStore opens an existing store (read-only tools never create one).
func (e *Env) OpenStore(flagValue string) (*store.Store, error) {
	return store.Open(e.StoreDir(flagValue))
}

// Inputs returns the hash arguments, or, when there are none, the
// whitespace-separated words of stdin. Each must be a hash or a prefix of
// at least store.MinPrefix hex digits: anything else is a usage error,
// found before the store is opened.
func (e *Env) Inputs(args []string) ([]string, error) {
	in, err := e.inputs(args)
	if err != nil {
		return nil, err
	}
	for _, a := range in {
		if err := store.CheckPrefix(a); err != nil {
			return nil, Usagef("%q is not a hash or a prefix of at least %d hex digits", a, store.MinPrefix)
		}
	}
	return in, nil
}

func (e *Env) inputs(args []string) ([]string, error) {
	if len(args) > 0 {
		return args, nil
	}
	if e.Stdin == nil {
		return nil, nil
	}
	var out []string
	sc := bufio.NewScanner(e.Stdin)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	sc.Split(bufio.ScanWords)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read hashes from stdin: %w", err)
	}
	return out, nil
}

// OneInput returns the single input hash string, from args or stdin.
func (e *Env) OneInput(args []string) (string, error) {
	in, err := e.Inputs(args)
	if err != nil {
		return "", err
	}
	switch len(in) {
	case 0:
		return "", Usagef("no snapshot hash given (as an argument or on stdin)")
	case 1:
		return in[0], nil
	}
	return "", Usagef("%d hashes given, want one", len(in))
}

// ResolveSnapshot resolves a hash or prefix that must name a snapshot.
func ResolveSnapshot(s *store.Store, arg string) (record.Hash, *record.Snapshot, error) {
	// A full hash of a snapshot (what pipes carry) needs one lookup.
	h, err := record.ParseHash(strings.TrimSpace(arg))
	if err != nil || !s.Has(record.KindSnapshot, h) {
		var k record.Kind
		h, k, err = s.Resolve(arg)
		if err != nil {
			return h, nil, err
		}
		if k != record.KindSnapshot {
			return h, nil, fmt.Errorf("%s is a %s, not a snapshot", h.Short(), k)
		}
	}
	snap, err := store.LoadAs[*record.Snapshot](s, h)
	if err != nil {
		return h, nil, fmt.Errorf("load snapshot %s: %w", h.Short(), err)
	}
	return h, snap, nil
}

// PrintHash writes one hash line to stdout.
func (e *Env) PrintHash(h record.Hash) {
	fmt.Fprintln(e.Stdout, h.String())
}

// ParamList is a repeatable string flag.
type ParamList []string

func (p *ParamList) String() string     { return strings.Join(*p, ",") }
func (p *ParamList) Set(v string) error { *p = append(*p, v); return nil }

// IsTerminal reports whether w is a terminal (for progress output).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// InputSnapshot opens the store and resolves the one snapshot a tool works
// on: from the arguments, else from stdin.
func (e *Env) InputSnapshot(storeFlag string, args []string) (*store.Store, record.Hash, *record.Snapshot, error) {
	// The store is opened before stdin is read: in a pipeline, while the
	// previous stage is still at work (and the codec's tables are being
	// built on the other core, see NewEnv).
	st, serr := e.OpenStore(storeFlag)
	arg, err := e.OneInput(args)
	if err != nil {
		return nil, record.Hash{}, nil, err
	}
	if serr != nil {
		// In "we-init … | we-step" on a new store, we-init creates the
		// store while this stage waits for its hash: look again.
		if st, serr = e.OpenStore(storeFlag); serr != nil {
			return nil, record.Hash{}, nil, serr
		}
	}
	h, snap, err := ResolveSnapshot(st, arg)
	return st, h, snap, err
}

// RequireComplete refuses the partial snapshot of one shard of a step
// where a whole ensemble is needed.
func RequireComplete(h record.Hash, snap *record.Snapshot) error {
	if snap.Shard != nil {
		return fmt.Errorf("snapshot %s is shard %d/%d of a step; assemble the shards with we-merge first", h.Short(), snap.Shard.Index, snap.Shard.Count)
	}
	return nil
}

// LoadSystem loads the system record h, naming it in errors.
func LoadSystem(st *store.Store, h record.Hash) (*record.System, error) {
	sys, err := store.LoadAs[*record.System](st, h)
	if err != nil {
		return nil, fmt.Errorf("load system %s: %w", h.Short(), err)
	}
	return sys, nil
}

// InterruptContext returns a context that SIGINT or SIGTERM cancels, and
// the function that releases it. The handler is installed on another
// goroutine: installing it starts a thread, 0.2 ms that a short we-step
// need not wait for. A signal that arrives before the handler is in place
// ends the process as usual, which loses at most that moment's work.
func InterruptContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(c)
		select {
		case sig := <-c:
			cancel(fmt.Errorf("%v", sig)) // context.Cause: "interrupt", "terminated"
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// procs is the processor count the runtime started with, before
// SerialStart lowered it (0: not lowered).
var procs int

// SerialStart runs the Go runtime on one processor, unless GOMAXPROCS is
// set in the environment, until Parallel is called. A tool whose work is
// serial for small inputs (we-resample) starts faster that way and, in a
// pipeline, leaves the other core to the stage before it: the runtime
// starts no second thread for its own goroutines. Call it first in main.
func SerialStart() {
	if os.Getenv("GOMAXPROCS") == "" {
		procs = runtime.GOMAXPROCS(1)
	}
}

// Parallel gives back the processors SerialStart took, for work that is
// worth them (REVO's distance matrix over hundreds of walkers).
func Parallel() {
	if procs > 0 {
		runtime.GOMAXPROCS(procs)
		procs = 0
	}
}

// Floats parses comma-separated numbers ("0.5,1"); NaN is not a number.
func Floats(s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		out = append(out, x)
	}
	return out, nil
}

// InputComplete reads the input snapshot of a tool that reads histories,
// which must be a complete snapshot (not a shard's), and its system.
func (e *Env) InputComplete(storeFlag string, pos []string) (*store.Store, record.Hash, *record.Snapshot, *record.System, error) {
	st, h, snap, err := e.InputSnapshot(storeFlag, pos)
	if err != nil {
		return nil, h, nil, nil, err
	}
	if err := RequireComplete(h, snap); err != nil {
		return nil, h, nil, nil, err
	}
	sys, err := LoadSystem(st, snap.System)
	if err != nil {
		return nil, h, nil, nil, err
	}
	return st, h, snap, sys, nil
}
