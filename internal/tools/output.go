package tools

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// outFile is a file written under a temporary name beside its destination
// and renamed into place by commit, so that a failed or interrupted export
// never leaves a partial file under the name the user asked for. The
// path "-" is stdout.
type outFile struct {
	f      *os.File
	w      io.Writer
	path   string
	stdout bool
}

func createOutput(path string, stdout io.Writer) (*outFile, error) {
	if path == "-" {
		return &outFile{w: stdout, path: path, stdout: true}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &outFile{f: f, w: f, path: path}, nil
}

func (o *outFile) Write(p []byte) (int, error) { return o.w.Write(p) }

// WriteAt and Seek let a writer patch what it wrote (a DCD header's frame
// count); they fail on stdout.
func (o *outFile) WriteAt(p []byte, off int64) (int, error) {
	if o.f == nil {
		return 0, errors.New("cannot rewrite standard output")
	}
	return o.f.WriteAt(p, off)
}

// commit makes the file durable and gives it its name.
func (o *outFile) commit() error {
	if o.stdout {
		return nil
	}
	name := o.f.Name()
	err := o.f.Sync()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, o.path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	return nil
}

// abort removes the temporary file; it is a no-op after commit.
func (o *outFile) abort() {
	if o.f != nil {
		o.f.Close()
		os.Remove(o.f.Name())
	}
}

// prefetch loads snapshots 0 … n−1 of a chain ahead of their use, up to
// window at a time on as many goroutines, and hands them out in order:
// decoding a snapshot costs more than the work done with it, and a history
// is read front to back. Memory is bounded by the window.
type prefetch struct {
	st     *store.Store
	chain  []record.Hash
	window int
	slots  []chan loaded
}

type loaded struct {
	snap *record.Snapshot
	err  error
}

func newPrefetch(st *store.Store, chain []record.Hash, window int) *prefetch {
	p := &prefetch{st: st, chain: chain, window: window, slots: make([]chan loaded, window)}
	for i := range p.slots {
		p.slots[i] = make(chan loaded, 1)
	}
	for i := 0; i < window && i < len(chain); i++ {
		p.start(i)
	}
	return p
}

func (p *prefetch) start(i int) {
	go func() {
		snap, err := store.LoadAs[*record.Snapshot](p.st, p.chain[i])
		if err != nil {
			err = fmt.Errorf("load snapshot %s: %w", p.chain[i].Short(), err)
		}
		p.slots[i%p.window] <- loaded{snap, err}
	}()
}

// get returns snapshot i; calls must come in order 0, 1, 2 …
func (p *prefetch) get(i int) (*record.Snapshot, error) {
	l := <-p.slots[i%p.window]
	if j := i + p.window; j < len(p.chain) {
		p.start(j)
	}
	return l.snap, l.err
}
