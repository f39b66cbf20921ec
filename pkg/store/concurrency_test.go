package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wepipe/wepipe/pkg/record"
)

// childEnv names the environment variable that turns the test binary into
// a writer process: "DIR WORKER EXTRA [READY]".
const childEnv = "WEPIPE_STORE_TEST_WRITER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := child(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child runs one writer's workload in its own process.
func child(spec string) error {
	f := strings.Fields(spec)
	if len(f) < 3 {
		return fmt.Errorf("bad %s %q", childEnv, spec)
	}
	w, err1 := strconv.Atoi(f[1])
	extra, err2 := strconv.Atoi(f[2])
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	s, err := Open(f[0])
	if err != nil {
		return err
	}
	ready := ""
	if len(f) > 3 {
		ready = f[3]
	}
	if err := writeWorkload(s, w, ready); err != nil {
		return err
	}
	return writeExtra(s, w, extra)
}

// extraStates are n more states of writer w.
func extraStates(w, n int) []record.Object {
	r := stream("extra", uint64(w))
	out := make([]record.Object, n)
	for i := range out {
		out[i] = makeState(r, 2)
	}
	return out
}

// writeExtra writes writer w's n extra states in pairs, each pair made
// durable on its own: a long stream of small commits.
func writeExtra(s *Store, w, n int) error {
	var items []Item
	for _, o := range extraStates(w, n) {
		it, err := NewItem(o)
		if err != nil {
			return err
		}
		if items = append(items, it); len(items) == 2 {
			if err := s.PutItems(items); err != nil {
				return err
			}
			items = nil
		}
	}
	return s.PutItems(items)
}

const (
	sharedStates = 24
	ownStates    = 12
)

// workload is what writer w puts, in order (references first): objects
// every writer writes, byte for byte the same, and objects of its own.
func workload(w int) (shared, own []record.Object) {
	r := stream("shared", 0)
	var states []record.Hash
	for i := 0; i < sharedStates; i++ {
		st := makeState(r, 2)
		shared = append(shared, st)
		it, _ := NewItem(st)
		states = append(states, it.Hash)
	}
	// One large state, written through the concurrent path.
	shared = append(shared, makeState(r, 12000))
	sys := makeSystem(2, states[0])
	shared = append(shared, sys)
	hsys, _ := NewItem(sys)
	shared = append(shared, makeSnapshot(0, hsys.Hash, states, nil))

	r = stream("own", uint64(w))
	var mine []record.Hash
	for i := 0; i < ownStates; i++ {
		st := makeState(r, 2)
		own = append(own, st)
		it, _ := NewItem(st)
		mine = append(mine, it.Hash)
	}
	own = append(own, makeSnapshot(uint64(w), hsys.Hash, mine, nil))
	return shared, own
}

// writeWorkload writes writer w's workload into s through every writing
// path: batches above and below syncfsMin, single Puts (the small and the
// large path), and repeats. Writers start at different offsets so that
// they meet on the same objects at different moments. If ready is set, the
// file is created once the first batch is durable.
func writeWorkload(s *Store, w int, ready string) error {
	shared, own := workload(w)
	var small []Item
	for _, o := range shared[:sharedStates] {
		it, err := NewItem(o)
		if err != nil {
			return err
		}
		small = append(small, it)
	}
	off := (7 * w) % len(small)
	rot := append(append([]Item{}, small[off:]...), small[:off]...)
	if err := s.PutItems(rot); err != nil {
		return err
	}
	if ready != "" {
		if err := os.WriteFile(ready, nil, 0o644); err != nil {
			return err
		}
	}
	for i := range sharedStates {
		if _, err := s.Put(shared[(i+off)%sharedStates]); err != nil {
			return err
		}
	}
	for _, o := range shared[sharedStates:] {
		if _, err := s.Put(o); err != nil {
			return err
		}
	}
	var items []Item
	for _, o := range own[:ownStates/2] {
		it, err := NewItem(o)
		if err != nil {
			return err
		}
		items = append(items, it)
		if len(items) == 2 {
			if err := s.PutItems(items); err != nil {
				return err
			}
			items = nil
		}
	}
	for _, o := range own[ownStates/2:] {
		if _, err := s.Put(o); err != nil {
			return err
		}
	}
	return nil
}

// expected lists every hash the writers write, with extra extra states
// each.
func expected(t *testing.T, writers []int, extra int) map[record.Hash]bool {
	want := map[record.Hash]bool{}
	for _, w := range writers {
		shared, own := workload(w)
		for _, o := range append(append(shared, own...), extraStates(w, extra)...) {
			it, err := NewItem(o)
			if err != nil {
				t.Fatal(err)
			}
			want[it.Hash] = true
		}
	}
	return want
}

// verifyAll checks that s holds every wanted object intact, that Check
// is clean and no temp file is left.
func verifyAll(t *testing.T, s *Store, want map[record.Hash]bool) {
	for h := range want {
		if _, err := s.Load(h); err != nil {
			t.Error(err)
		}
	}
	rep := checkClean(t, s)
	n := 0
	for _, c := range rep.Objects {
		n += c
	}
	if n < len(want) {
		t.Errorf("%d objects, want at least %d", n, len(want))
	}
	if tmp := tempFiles(t, s); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	s := newStore(t)
	writers := []int{0, 1, 2, 3, 4, 5, 6, 7}
	var wg sync.WaitGroup
	errs := make([]error, len(writers))
	for i, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half of the writers use a handle of their own.
			st := s
			if w%2 == 1 {
				var err error
				if st, err = Open(s.Dir()); err != nil {
					errs[i] = err
					return
				}
			}
			errs[i] = writeWorkload(st, w, "")
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	verifyAll(t, s, expected(t, writers, 0))
}

// startWriter starts the test binary as a writer process.
func startWriter(t *testing.T, dir string, w, extra int, ready string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d %s", childEnv, dir, w, extra, ready))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func TestConcurrentProcesses(t *testing.T) {
	s := newStore(t)
	writers := []int{10, 11, 12, 13}
	var cmds []*exec.Cmd
	for _, w := range writers {
		cmds = append(cmds, startWriter(t, s.Dir(), w, 0, ""))
	}
	// This process writes too, from two goroutines.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, w := range []int{14, 15} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = writeWorkload(s, w, "")
		}()
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("writer %d: %v", writers[i], err)
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	verifyAll(t, s, expected(t, append(writers, 14, 15), 0))
}

// TestUnionWhileWriting merges a store into one that another process is
// writing into; the two share objects.
func TestUnionWhileWriting(t *testing.T) {
	src, dst := newStore(t), newStore(t)
	if err := writeWorkload(src, 20, ""); err != nil {
		t.Fatal(err)
	}
	all, _ := run(t, src, "busy", 6, 8)
	ready := filepath.Join(t.TempDir(), "ready")
	const extra = 200
	cmd := startWriter(t, dst.Dir(), 21, extra, ready)
	for deadline := time.Now().Add(time.Minute); ; {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writer never became ready")
		}
		time.Sleep(time.Millisecond)
	}
	var reps []*UnionReport
	for i := 0; i < 3; i++ {
		rep, err := dst.Union(src)
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
	}
	overlapped := false
	if _, err := os.Stat(dst.Path(record.KindState, lastExtra(t, 21, extra))); err != nil {
		overlapped = true
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("writer: %v", err)
	}
	t.Logf("the writer was still writing when the unions ended: %v", overlapped)
	for i, rep := range reps {
		if len(rep.Problems) != 0 {
			t.Errorf("union %d: %v", i, rep.Problems)
		}
	}
	if reps[2].Copied != 0 {
		t.Errorf("third union copied %d", reps[2].Copied)
	}
	want := expected(t, []int{20}, 0)
	for h := range expected(t, []int{21}, extra) {
		want[h] = true
	}
	for _, h := range all {
		want[h] = true
	}
	verifyAll(t, dst, want)
}

// lastExtra is the hash of writer w's last extra state.
func lastExtra(t *testing.T, w, n int) record.Hash {
	it, err := NewItem(extraStates(w, n)[n-1])
	if err != nil {
		t.Fatal(err)
	}
	return it.Hash
}
