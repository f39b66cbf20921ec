package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wepipe/wepipe/pkg/record"
)

// Problem is one thing wrong in a store.
type Problem struct {
	Path string
	What string
}

func (p Problem) String() string { return p.Path + ": " + p.What }

// CheckOptions tune Check.
type CheckOptions struct {
	// RemoveTempsOlder removes temp files older than this; zero keeps all.
	// A temp file younger than the age may belong to a writer at work.
	RemoveTempsOlder time.Duration
	// Quarantine moves corrupt objects to DIR/corrupt so that a good copy
	// can be merged back in.
	Quarantine bool
}

// CheckReport summarises a Check.
type CheckReport struct {
	Objects      map[record.Kind]int
	Bytes        int64 // compressed bytes on disk
	RawBytes     int64 // uncompressed bytes
	Problems     []Problem
	TempsRemoved int
	TempsKept    int
	Quarantined  int
}

// Check verifies every object (name, hash, encoding, record invariants,
// kind) and every reference (it exists and is of the right kind), and
// removes stale temp files. It never modifies an object.
func (s *Store) Check(opt CheckOptions) (*CheckReport, error) {
	rep := &CheckReport{Objects: map[record.Kind]int{}}
	type ref struct {
		from record.Hash
		kind record.Kind
		to   record.Hash
		what string
	}
	var (
		mu   sync.Mutex
		refs []ref
		bad  []string
	)
	add := func(p Problem) {
		mu.Lock()
		rep.Problems = append(rep.Problems, p)
		mu.Unlock()
	}
	for _, k := range record.Kinds {
		dir := s.kindDir(k)
		ents, err := os.ReadDir(dir)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				add(Problem{dir, "missing directory"})
				continue
			}
			return nil, err
		}
		jobs := make(chan os.DirEntry)
		var wg sync.WaitGroup
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for e := range jobs {
					p := filepath.Join(dir, e.Name())
					h, err := record.ParseHash(e.Name())
					if err != nil || h.String() != e.Name() {
						add(Problem{p, "file name is not a lowercase 64-digit hash"})
						continue
					}
					info, _ := e.Info()
					data, err := s.GetKind(k, h)
					var o record.Object
					if err == nil {
						o, err = record.Decode(data)
						if err == nil && o.ObjectKind() != k {
							err = fmt.Errorf("a %s record in the %s directory", o.ObjectKind(), k)
						}
					}
					if err != nil {
						var ce *CorruptError
						if errors.As(err, &ce) {
							err = ce.Err
						}
						add(Problem{p, err.Error()})
						mu.Lock()
						bad = append(bad, p)
						mu.Unlock()
						continue
					}
					var local []ref
					r := func(kind record.Kind, to record.Hash, what string) {
						local = append(local, ref{h, kind, to, what})
					}
					switch o := o.(type) {
					case *record.System:
						for i, in := range o.Initial {
							r(record.KindState, in.State, fmt.Sprintf("initial[%d]", i))
						}
					case *record.Snapshot:
						r(record.KindSystem, o.System, "system")
						for i, ph := range o.Parents {
							r(record.KindSnapshot, ph, fmt.Sprintf("parents[%d]", i))
						}
						seen := map[record.Hash]bool{}
						for i, w := range o.Walkers {
							if !seen[w.State] {
								seen[w.State] = true
								r(record.KindState, w.State, fmt.Sprintf("walkers[%d].state", i))
							}
							if w.Segment != nil {
								r(record.KindSegment, *w.Segment, fmt.Sprintf("walkers[%d].segment", i))
							}
						}
					}
					mu.Lock()
					rep.Objects[k]++
					if info != nil {
						rep.Bytes += info.Size()
					}
					rep.RawBytes += int64(len(data))
					refs = append(refs, local...)
					mu.Unlock()
				}
			}()
		}
		for _, e := range ents {
			if e.IsDir() {
				add(Problem{filepath.Join(dir, e.Name()), "unexpected directory"})
				continue
			}
			jobs <- e
		}
		close(jobs)
		wg.Wait()
	}
	for _, r := range refs {
		if !s.Has(r.kind, r.to) {
			add(Problem{s.Path(s.kindOf(r.from), r.from), fmt.Sprintf("%s: dangling reference to %s %s", r.what, r.kind, r.to.Short())})
		}
	}
	if opt.Quarantine && len(bad) > 0 {
		qdir := filepath.Join(s.dir, "corrupt")
		if err := os.MkdirAll(qdir, 0o755); err != nil {
			return nil, err
		}
		for _, p := range bad {
			if err := os.Rename(p, filepath.Join(qdir, filepath.Base(filepath.Dir(p))+"-"+filepath.Base(p))); err == nil {
				rep.Quarantined++
			}
		}
	}
	tmps, _ := os.ReadDir(filepath.Join(s.dir, tmpDir))
	for _, e := range tmps {
		info, err := e.Info()
		if err != nil {
			continue
		}
		if opt.RemoveTempsOlder > 0 && time.Since(info.ModTime()) > opt.RemoveTempsOlder && strings.HasSuffix(e.Name(), ".tmp") {
			if os.Remove(filepath.Join(s.dir, tmpDir, e.Name())) == nil {
				rep.TempsRemoved++
				continue
			}
		}
		rep.TempsKept++
	}
	sort.Slice(rep.Problems, func(i, j int) bool { return rep.Problems[i].Path < rep.Problems[j].Path })
	return rep, nil
}

func (s *Store) kindOf(h record.Hash) record.Kind {
	k, err := s.Kind(h)
	if err != nil {
		return "unknown"
	}
	return k
}
