package store

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/wepipe/wepipe/pkg/record"
)

// A Batch writes objects in two steps, so that the slow part of a write
// overlaps a writer's own work: Add compresses an object into a temp file
// at once (on the caller's goroutine; Add is safe for concurrent use), and
// Commit makes everything added so far durable and gives it its name.
// we-step's workers Add each walker's new state as soon as it is computed,
// and one Commit at the end stores them with the snapshot.
//
// Crash safety rests on one ordering: an object's name becomes durable
// only after its content is. Commit makes all temp files durable first
// (one syncfs(2) on the store's file system for more than syncfsMin
// objects, plus one flush where syncfs(2) does not end with one, as on
// ext4 without a journal: see syncfs; else one fsync each), then renames
// them into place layer by layer, making each layer's renames durable
// (one fsync per directory) before the next layer's begin: a crash never
// leaves a name whose references are missing, on file systems without a
// journal too, where renames reach the disk in any order. Temp files left
// by a crash are ignored by readers and removed by Check.
//
// syncfs writes back and waits for every dirty page and inode of the file
// system, the temp files' included; since Linux 5.8 it reports writeback
// errors that occurred after its descriptor was opened, so NewBatch opens
// the descriptor before the first temp file is written, and syncfs is
// used only on such kernels.
type Batch struct {
	s      *Store
	tmpdir string
	fsys   int  // descriptor for syncfs, or -1
	eager  bool // fsync each temp file as it is written (no syncfs)

	mu   sync.Mutex
	jobs []batchJob
	seen map[record.Hash]bool
}

type batchJob struct {
	kind     record.Kind
	hash     record.Hash
	dst, tmp string
	layer    int
	synced   bool
}

// NewBatch starts a batch of writes into s. Release it with Abort once
// done (after the last Commit).
func (s *Store) NewBatch() *Batch { return s.newBatch(true) }

// newBatch is NewBatch; without many, a batch that will hold syncfsMin
// objects or fewer, each temp file is fsynced as it is written.
func (s *Store) newBatch(many bool) *Batch {
	b := &Batch{s: s, tmpdir: filepath.Join(s.dir, tmpDir), fsys: -1, seen: map[record.Hash]bool{}}
	if many && syncfsOK && !fsyncOff {
		if fd, err := openDir(b.tmpdir); err == nil {
			b.fsys = fd
		}
	}
	b.eager = b.fsys < 0 && !many && !fsyncOff
	return b
}

// Add writes item it to a temp file, to be named by the next Commit in
// layer order (layer 0 first). An object already in the store, or already
// in the batch, is skipped.
func (b *Batch) Add(layer int, it Item) error {
	if !it.Kind.Valid() {
		return fmt.Errorf("write objects: unknown kind %q", it.Kind)
	}
	if err := b.s.ensureKind(it.Kind); err != nil {
		return fmt.Errorf("write objects: %w", err)
	}
	if it.Hash.IsZero() {
		it.Hash = record.Sum(it.Data)
	}
	b.mu.Lock()
	dup := b.seen[it.Hash]
	b.seen[it.Hash] = true
	b.mu.Unlock()
	if dup {
		return nil
	}
	dst := b.s.Path(it.Kind, it.Hash)
	// Commit leaves an object that exists and is sound untouched
	// (renameNew, then a check of the file found), so a lookup here only
	// saves work: worth reading the file for a large object, not for a
	// small one, which is nearly always new (we-step's states).
	if len(it.Data) >= pooledMin || len(it.Z) >= pooledMin {
		if isRegular(dst) && b.s.hashOK(it.Kind, it.Hash) == nil {
			return nil
		}
	}
	z := it.Z
	var zb *[]byte
	if z == nil {
		zb = getBuf(compressBound(len(it.Data)))
		z = compressTo((*zb)[:0], it.Data)
	}
	tmp, err := writeTemp(b.tmpdir, it.Hash.String()[:16], z, b.eager)
	if zb != nil {
		putBuf(zb)
	}
	if err != nil {
		b.mu.Lock()
		delete(b.seen, it.Hash)
		b.mu.Unlock()
		return fmt.Errorf("write objects: %w", err)
	}
	b.mu.Lock()
	b.jobs = append(b.jobs, batchJob{kind: it.Kind, hash: it.Hash, dst: dst, tmp: tmp, layer: layer, synced: b.eager})
	b.mu.Unlock()
	return nil
}

// Commit makes the objects added so far durable under their names, as
// the type's comment says; the batch may take more objects afterwards. On
// an error, the temp files of this commit are removed, and no new name
// holds content that is not durable.
func (b *Batch) Commit() error {
	b.mu.Lock()
	jobs := b.jobs
	b.jobs = nil
	b.mu.Unlock()
	if len(jobs) == 0 {
		return nil
	}
	fail := func(err error) error {
		for _, j := range jobs {
			if j.tmp != "" {
				os.Remove(j.tmp)
			}
		}
		return fmt.Errorf("write objects: %w", err)
	}
	switch {
	case fsyncOff:
	case b.fsys >= 0 && len(jobs) > syncfsMin:
		if err := syncfs(b.fsys); err != nil {
			return fail(fmt.Errorf("syncfs %s: %w", b.tmpdir, err))
		}
	default:
		errs := make([]error, len(jobs))
		// Per-file fsyncs wait on the device; more in flight share its
		// flushes.
		parallelFor(len(jobs), max(8, runtime.GOMAXPROCS(0)), func(i int) {
			if !jobs[i].synced {
				errs[i] = syncFile(jobs[i].tmp)
			}
		})
		for _, err := range errs {
			if err != nil {
				return fail(err)
			}
		}
	}
	slices.SortStableFunc(jobs, func(x, y batchJob) int { return x.layer - y.layer })
	for lo := 0; lo < len(jobs); {
		hi := lo
		var dirs []string
		for ; hi < len(jobs) && jobs[hi].layer == jobs[lo].layer; hi++ {
			moved, err := renameNew(jobs[hi].tmp, jobs[hi].dst)
			if err != nil {
				return fail(err)
			}
			if !moved {
				if err := b.s.keepOrReplace(jobs[hi].kind, jobs[hi].hash, jobs[hi].tmp); err != nil {
					return fail(err)
				}
				os.Remove(jobs[hi].tmp)
			}
			jobs[hi].tmp = ""
			if d := filepath.Dir(jobs[hi].dst); !contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
		lo = hi
		switch {
		case fsyncOff:
		case b.fsys >= 0 && len(dirs) > 1:
			if err := syncfs(b.fsys); err != nil {
				return fail(fmt.Errorf("syncfs %s: %w", b.tmpdir, err))
			}
		default:
			for _, d := range dirs {
				if err := syncDir(d); err != nil {
					return fail(err)
				}
			}
		}
	}
	return nil
}

// keepOrReplace settles a write whose object's name is taken: a file that
// is what the name promises is kept (the write is a no-op, FORMAT.md §1.2);
// one that is not — corrupt, or not a regular file — is replaced by the
// durable temp file tmp that holds the sound object, the bad one kept in
// corrupt/ (replaceWith). So a stage that recomputes an object whose file
// is damaged writes the good one.
func (s *Store) keepOrReplace(k record.Kind, h record.Hash, tmp string) error {
	if isRegular(s.Path(k, h)) && s.hashOK(k, h) == nil {
		return nil
	}
	if err := s.replaceWith(k, h, tmp); err != nil {
		return fmt.Errorf("replace corrupt %s %s: %w", k, h.Short(), err)
	}
	return nil
}

// Abort removes the temp files of objects added since the last Commit and
// releases the batch.
func (b *Batch) Abort() {
	b.mu.Lock()
	jobs := b.jobs
	b.jobs = nil
	b.mu.Unlock()
	for _, j := range jobs {
		os.Remove(j.tmp)
	}
	if b.fsys >= 0 {
		closeFD(b.fsys)
		b.fsys = -1
	}
}
