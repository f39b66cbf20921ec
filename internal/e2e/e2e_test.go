package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wepipe/wepipe/internal/needs"
	"github.com/wepipe/wepipe/pkg/rng"
)

var (
	// binDir holds the tools built by TestMain; repoRoot is the module.
	binDir, repoRoot string
	// scratch is a directory shared by the tests (the fixture's stores).
	scratch string
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err == nil {
		_, err = os.Stat(filepath.Join(root, "go.mod"))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: find the module root: %v\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "wepipe-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bin")
	// go test puts its own go first in PATH (Go 1.19 and later).
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./cmd/...")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build the tools: %v\n", err)
		return 1
	}
	binDir, repoRoot, scratch = bin, root, dir
	return m.Run()
}

// environ is the environment of every command: the built tools come
// first in PATH and in WE_BIN (the workflows), and no WE_STORE leaks in
// from the caller (every command names its store).
func environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "WE_STORE" || k == "WE_BIN" || k == "PATH" {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "WE_BIN="+binDir)
}

// command prepares a command run in dir; a name starting with "we-" is a
// built tool.
func command(dir, name string, args ...string) *exec.Cmd {
	if strings.HasPrefix(name, "we-") {
		name = filepath.Join(binDir, name)
	}
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Env = environ()
	return c
}

// run runs a command to completion and returns its stdout; a failure
// fails the test with the command's stderr.
func run(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	c := command(dir, name, args...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

var hashLine = regexp.MustCompile(`^[0-9a-f]{64}$`)

// lastHash returns the last line of out, which must be a full hash.
func lastHash(t testing.TB, out string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	h := lines[len(lines)-1]
	if !hashLine.MatchString(h) {
		t.Fatalf("want a hash as the last line of stdout, got %q", out)
	}
	return h
}

// tool runs a wepipe tool on store and returns the one hash it prints.
func tool(t testing.TB, store, name string, args ...string) string {
	t.Helper()
	out := run(t, "", name, append([]string{"--store", store}, args...)...)
	if !hashLine.MatchString(strings.TrimSpace(out)) {
		t.Fatalf("%s %s: want one hash on stdout, got %q", name, strings.Join(args, " "), out)
	}
	return strings.TrimSpace(out)
}

// fsckClean runs we-fsck with a temp file age of 1ns, so that it removes
// every temp file a killed writer left (0 would keep them all), and
// requires a sound store with no temp file kept.
func fsckClean(t testing.TB, store string) {
	t.Helper()
	c := command("", "we-fsck", "--store", store, "--tmp-age", "1ns")
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil || stdout.Len() > 0 {
		t.Fatalf("we-fsck %s: %v\n%s%s", store, err, stdout.String(), stderr.String())
	}
	if s := stderr.String(); !strings.Contains(s, " 0 kept; 0 problems") {
		t.Fatalf("we-fsck %s: %s", store, s)
	}
	if ents, err := os.ReadDir(filepath.Join(store, "tmp")); err != nil || len(ents) > 0 {
		t.Fatalf("we-fsck %s left %d temp files (%v)", store, len(ents), err)
	}
}

// objects lists a store's objects as "kind/hash", sorted.
func objects(t testing.TB, store string) []string {
	t.Helper()
	root := filepath.Join(store, "objects")
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatalf("list %s: %v", store, err)
	}
	slices.Sort(out)
	return out
}

// The workflow test's run: the LJ pair with wepy's WExplore settings and
// warping, small enough to take a second.
const (
	wfInit     = "--system lj-pair --walkers 16 --seed 3"
	wfCycles   = 3
	wfSteps    = 50
	wfShards   = 2
	wfResample = "--resampler wexplore --region-sizes 1,0.5,0.35,0.25 --max-regions 10 --pmax 0.5 --warp 'r>=1.0'"
)

// weRun runs we-run and returns the end hash.
func weRun(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return lastHash(t, run(t, dir, "we-run", args...))
}

// TestWorkflowsAgree checks ARCHITECTURE.md §4 and §8 across the drivers: the
// driver unsharded and sharded, the Makefile (make -j2) and the Snakefile
// (snakemake -j 2), each with a shared store and with per-shard stores,
// reach one end hash; every store passes we-fsck; running a finished
// workflow again prints the same hash.
func TestWorkflowsAgree(t *testing.T) {
	dir := t.TempDir()
	resample := []string{"--resampler", "wexplore", "--region-sizes", "1,0.5,0.35,0.25", "--max-regions", "10", "--pmax", "0.5", "--warp", "r>=1.0"}
	driver := func(store string, shards int) string {
		args := []string{"--store", store, "--init", wfInit, "--cycles", strconv.Itoa(wfCycles), "--steps", strconv.Itoa(wfSteps),
			"--shards", strconv.Itoa(shards), "--workers", "1", "--"}
		return weRun(t, dir, append(args, resample...)...)
	}
	want := driver("run1.store", 1)
	stores := []string{"run1.store"}
	check := func(t testing.TB, name, store, got string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: end hash %s, want %s (we-run unsharded)", name, got, want)
		}
		stores = append(stores, store)
	}

	check(t, "we-run --shards 2", "run2.store", driver("run2.store", 2))
	check(t, "we-run --shards 3", "run3.store", driver("run3.store", 3))
	check(t, "we-run again", "run2.store", driver("run2.store", 2))

	// The workflows' settings; RESAMPLE is pasted into shell commands,
	// hence the quotes.
	vars := func(store, shardStore string) []string {
		v := []string{"STORE=" + store, "CYCLES=" + strconv.Itoa(wfCycles), "SHARDS=" + strconv.Itoa(wfShards),
			"STEPS=" + strconv.Itoa(wfSteps), "INIT=" + wfInit, "RESAMPLE=" + wfResample, "BIN=" + binDir}
		if shardStore != "" {
			v = append(v, "SHARD_STORE="+filepath.Join(dir, shardStore))
		}
		return v
	}
	t.Run("make", func(t *testing.T) {
		mk := needs.Program(t, "make", "make")
		makefile := filepath.Join(repoRoot, "scripts", "workflows", "Makefile")
		for _, c := range []struct{ store, shardStore string }{{"make.store", ""}, {"make-local.store", "make-shard-%.store"}} {
			args := append([]string{"-s", "-j2", "-f", makefile}, vars(c.store, c.shardStore)...)
			check(t, "make "+c.store, c.store, lastHash(t, run(t, dir, mk, args...)))
			// A finished workflow is up to date: the same hash at once.
			check(t, "make again "+c.store, c.store, lastHash(t, run(t, dir, mk, args...)))
		}
		for i := 0; i < wfShards; i++ {
			stores = append(stores, fmt.Sprintf("make-shard-%d.store", i))
		}
	})
	t.Run("snakemake", func(t *testing.T) {
		smk := needs.Program(t, "snakemake", "snakemake")
		snakefile := filepath.Join(repoRoot, "scripts", "workflows", "Snakefile")
		for _, c := range []struct{ store, shardStore string }{{"smk.store", ""}, {"smk-local.store", "smk-shard-%.store"}} {
			args := append([]string{"-s", snakefile, "-j", "2", "--config"}, vars(c.store, c.shardStore)...)
			check(t, "snakemake "+c.store, c.store, lastHash(t, run(t, dir, smk, args...)))
			check(t, "snakemake again "+c.store, c.store, lastHash(t, run(t, dir, smk, args...)))
		}
		for i := 0; i < wfShards; i++ {
			stores = append(stores, fmt.Sprintf("smk-shard-%d.store", i))
		}
	})
	for _, s := range stores {
		fsckClean(t, filepath.Join(dir, s))
	}
}

// moments returns n kill delays in [0, max) drawn from a stream fixed by
// name, so that every run of the tests kills at the same moments.
func moments(name string, n int, max time.Duration) []time.Duration {
	s := rng.NewKey("e2e crash "+name, [32]byte{}, 0, 0)
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(s.Float64() * float64(max))
	}
	return out
}

// killAfter starts a command and sends it SIGKILL after d, unless it
// finishes first; it reports whether the kill interrupted it. A command
// that fails on its own fails the test.
func killAfter(t testing.TB, c *exec.Cmd, d time.Duration) bool {
	t.Helper()
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatalf("start %v: %v", c.Args, err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(d):
		c.Process.Kill()
		err = <-done
	}
	if err == nil {
		return false
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	t.Fatalf("%v failed on its own: %v\n%s", c.Args, err, stderr.String())
	return false
}

// timed runs a tool to completion and returns its hash and duration.
func timed(t testing.TB, store, name string, args ...string) (string, time.Duration) {
	t.Helper()
	t0 := time.Now()
	h := tool(t, store, name, args...)
	return h, time.Since(t0)
}

// crashThenFinish kills `name --store store args…` after each delay in
// turn (each a new process, resuming the previous one's work), then runs
// it to completion and returns its hash and how many kills interrupted it.
func crashThenFinish(t testing.TB, store string, delays []time.Duration, name string, args ...string) (string, int) {
	t.Helper()
	killed := 0
	for _, d := range delays {
		if killAfter(t, command("", name, append([]string{"--store", store}, args...)...), d) {
			killed++
		}
	}
	return tool(t, store, name, args...), killed
}

// TestCrashInit kills we-init while it creates a store, its system and the
// initial snapshot; run again, it completes the store, which passes
// we-fsck and holds exactly the objects of an uninterrupted run.
func TestCrashInit(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--system", "lj-pair", "--walkers", "48", "--seed", "7"}
	ref := filepath.Join(dir, "ref.store")
	want, _ := timed(t, ref, "we-init", args...)
	wantObjs := objects(t, ref)
	// The first run warms the caches; the second's time is the one to cut.
	_, d := timed(t, filepath.Join(dir, "timing.store"), "we-init", args...)
	const trials = 12
	delays := moments("we-init", trials, d)
	killed := 0
	for i, delay := range delays {
		store := filepath.Join(dir, fmt.Sprintf("trial%d.store", i))
		got, k := crashThenFinish(t, store, []time.Duration{delay}, "we-init", args...)
		killed += k
		if got != want {
			t.Errorf("trial %d (killed after %v): hash %s, want %s", i, delay, got, want)
		}
		fsckClean(t, store)
		if objs := objects(t, store); !slices.Equal(objs, wantObjs) {
			t.Errorf("trial %d: objects %v, want %v", i, objs, wantObjs)
		}
	}
	t.Logf("%d of %d trials killed we-init in flight (an uninterrupted run takes %v)", killed, trials, d)
	if killed == 0 {
		t.Errorf("no kill interrupted we-init: the test exercised no crash")
	}
}

// TestCrashStep kills we-step mid-flight, twice, then runs it to the end:
// the walkers already stored are kept, the missing ones computed, and the
// hash is an uninterrupted step's. Each trial uses another --seed, so that
// nothing of an earlier trial is reused.
func TestCrashStep(t *testing.T) {
	dir := t.TempDir()
	store, ref := filepath.Join(dir, "trial.store"), filepath.Join(dir, "ref.store")
	init := []string{"--system", "lj-pair", "--walkers", "48", "--seed", "1"}
	h := tool(t, store, "we-init", init...)
	if h2 := tool(t, ref, "we-init", init...); h2 != h {
		t.Fatalf("we-init is not deterministic: %s, then %s", h, h2)
	}
	stepArgs := func(trial int) []string {
		return []string{"--steps", "150000", "--workers", "2", "--seed", strconv.Itoa(trial), h}
	}
	const trials = 4
	var d time.Duration
	want := make([]string, trials)
	for i := range want {
		var di time.Duration
		want[i], di = timed(t, ref, "we-step", stepArgs(i)...)
		d = max(d, di)
	}
	delays := moments("we-step", 2*trials, d+d/5)
	killed := 0
	for i := 0; i < trials; i++ {
		got, k := crashThenFinish(t, store, delays[2*i:2*i+2], "we-step", stepArgs(i)...)
		killed += k
		if got != want[i] {
			t.Errorf("trial %d (killed after %v and %v): hash %s, want %s", i, delays[2*i], delays[2*i+1], got, want[i])
		}
		fsckClean(t, store)
	}
	t.Logf("%d of %d kills interrupted we-step (an uninterrupted step takes %v)", killed, 2*trials, d)
	if killed == 0 {
		t.Errorf("no kill interrupted we-step: the test exercised no crash")
	}
}

// The fixture of the merge and resample tests: a store holding the two
// shards of one step of 1000 LJ-pair walkers (about 1000 state objects),
// and a reference store into which they were merged.
var fixture struct {
	once      sync.Once
	src, ref  string
	shards    []string
	assembled string // the hash the shards assemble into
	err       error
}

func loadFixture(t testing.TB) {
	t.Helper()
	fixture.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				fixture.err = fmt.Errorf("%v", r)
			}
		}()
		ft := &fatalT{TB: t}
		src, ref := filepath.Join(scratch, "fixture-src.store"), filepath.Join(scratch, "fixture-ref.store")
		h := tool(ft, src, "we-init", "--system", "lj-pair", "--walkers", "1000", "--seed", "1")
		s0 := tool(ft, src, "we-step", "--steps", "10", "--shard", "0/2", h)
		s1 := tool(ft, src, "we-step", "--steps", "10", "--shard", "1/2", h)
		fixture.src, fixture.ref, fixture.shards = src, ref, []string{s0, s1}
		fixture.assembled = tool(ft, ref, "we-merge", "--from", src, s0, s1)
	})
	if fixture.err != nil {
		t.Fatalf("fixture: %v", fixture.err)
	}
}

// fatalT turns Fatalf into a panic, so that a failing fixture, built
// once, fails every test that needs it (not only the first).
type fatalT struct{ testing.TB }

func (f *fatalT) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (f *fatalT) Fatal(a ...any)                 { panic(fmt.Sprint(a...)) }

// TestCrashMerge kills `we-merge --from SRC SHARDS…` (a union of about
// 1000 objects and the assembly of two shards) at random moments; run
// again, it completes the union: the store passes we-fsck, holds every
// object of the source and prints the assembled snapshot's hash.
func TestCrashMerge(t *testing.T) {
	loadFixture(t)
	dir := t.TempDir()
	args := append([]string{"--from", fixture.src}, fixture.shards...)
	want := fixture.assembled
	// The duration of an uninterrupted union into an empty store.
	_, d := timed(t, filepath.Join(dir, "timing.store"), "we-merge", args...)
	srcObjs := objects(t, fixture.src)
	wantN := len(srcObjs)
	if _, ok := slices.BinarySearch(srcObjs, "snapshot/"+want); !ok {
		wantN++ // the assembled snapshot is new
	}
	const trials = 4
	delays := moments("we-merge", 2*trials, d+d/5)
	killed := 0
	for i := 0; i < trials; i++ {
		store := filepath.Join(dir, fmt.Sprintf("trial%d.store", i))
		got, k := crashThenFinish(t, store, delays[2*i:2*i+2], "we-merge", args...)
		killed += k
		if got != want {
			t.Errorf("trial %d: assembled hash %s, want %s", i, got, want)
		}
		fsckClean(t, store)
		objs := objects(t, store)
		for _, o := range srcObjs {
			if _, ok := slices.BinarySearch(objs, o); !ok {
				t.Fatalf("trial %d: %s of the source is missing", i, o)
			}
		}
		if len(objs) != wantN {
			t.Errorf("trial %d: %d objects, want the source's %d and the assembled snapshot", i, len(objs), len(srcObjs))
		}
	}
	t.Logf("%d of %d kills interrupted we-merge (an uninterrupted union takes %v)", killed, 2*trials, d)
	if killed == 0 {
		t.Errorf("no kill interrupted we-merge: the test exercised no crash")
	}
}

// TestCrashResample kills we-resample (REVO on 1000 walkers, with
// warping) at random moments; run again, it prints the hash of an
// uninterrupted run and the store passes we-fsck.
func TestCrashResample(t *testing.T) {
	loadFixture(t)
	in := tool(t, fixture.src, "we-merge", fixture.shards...)
	if in != fixture.assembled {
		t.Fatalf("the shards assemble to %s in one store, %s in another", in, fixture.assembled)
	}
	args := func(trial int) []string {
		return []string{"--resampler", "revo", "--merge-dist", "0.05", "--char-dist", "0.1", "--warp", "r>=0.39",
			"--seed", strconv.Itoa(trial), in}
	}
	const trials = 5
	var d time.Duration
	want := make([]string, trials)
	for i := range want {
		var di time.Duration
		want[i], di = timed(t, fixture.ref, "we-resample", args(i)...)
		d = max(d, di)
	}
	delays := moments("we-resample", trials, d+d/5)
	killed := 0
	for i := 0; i < trials; i++ {
		got, k := crashThenFinish(t, fixture.src, delays[i:i+1], "we-resample", args(i)...)
		killed += k
		if got != want[i] {
			t.Errorf("trial %d (killed after %v): hash %s, want %s", i, delays[i], got, want[i])
		}
		fsckClean(t, fixture.src)
	}
	t.Logf("%d of %d kills interrupted we-resample (an uninterrupted run takes %v)", killed, trials, d)
	if killed == 0 {
		t.Errorf("no kill interrupted we-resample: the test exercised no crash")
	}
}

// background runs a command in a goroutine; wait returns its stdout.
type background struct {
	c              *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan error
}

func start(t testing.TB, dir, name string, args ...string) *background {
	t.Helper()
	b := &background{c: command(dir, name, args...), done: make(chan error, 1)}
	b.c.Stdout, b.c.Stderr = &b.stdout, &b.stderr
	if err := b.c.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { b.done <- b.c.Wait() }()
	return b
}

func (b *background) wait(t testing.TB) string {
	t.Helper()
	if err := <-b.done; err != nil {
		t.Fatalf("%v: %v\n%s", b.c.Args, err, b.stderr.String())
	}
	return b.stdout.String()
}

// concurrentRun are the we-run arguments of the concurrency tests:
// cycles of 300 steps with WExplore; extra are more we-run flags.
func concurrentRun(store, start string, cycles int, extra ...string) []string {
	args := []string{"--store", store, "--cycles", strconv.Itoa(cycles), "--steps", "300", "--resampler", "wexplore", start}
	args = append(args, extra...)
	return append(args, "--", "--region-sizes", "1,0.5,0.35,0.25", "--pmax", "0.5", "--warp", "r>=0.5")
}

// TestConcurrentSteps runs three simulations into one store at once: two
// from different snapshots and a third repeating the first (the same
// objects written by two processes). Each ends at the hash it reaches
// alone in a store of its own, and the store passes we-fsck.
func TestConcurrentSteps(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared.store")
	a := tool(t, shared, "we-init", "--system", "lj-pair", "--walkers", "48", "--seed", "1")
	b := tool(t, shared, "we-init", "--system", "lj-pair", "--walkers", "48", "--seed", "2")
	we := "we-run"
	runs := []*background{
		start(t, dir, we, concurrentRun(shared, a, 4)...),
		start(t, dir, we, concurrentRun(shared, b, 4)...),
		start(t, dir, we, concurrentRun(shared, a, 4, "--shards", "2")...),
	}
	got := make([]string, len(runs))
	for i, r := range runs {
		got[i] = lastHash(t, r.wait(t))
	}
	fsckClean(t, shared)
	want := map[string]string{}
	for seed, s := range map[string]string{"1": a, "2": b} {
		alone := filepath.Join(dir, "alone"+seed+".store")
		tool(t, alone, "we-init", "--system", "lj-pair", "--walkers", "48", "--seed", seed)
		want[s] = weRun(t, dir, concurrentRun(alone, s, 4)...)
	}
	for i, s := range []string{a, b, a} {
		if got[i] != want[s] {
			t.Errorf("run %d from %s: %s in the shared store, %s alone", i, s[:12], got[i], want[s])
		}
	}
}

// TestMergeIntoBusyStore unions another store (about 1000 objects) into a
// store that a simulation is writing to, repeatedly while it runs, and two
// unions into one new store at once: the simulation ends at its own hash,
// every object of the source lands, and both stores pass we-fsck.
func TestMergeIntoBusyStore(t *testing.T) {
	loadFixture(t)
	dir := t.TempDir()
	busy := filepath.Join(dir, "busy.store")
	h := tool(t, busy, "we-init", "--system", "lj-pair", "--walkers", "48", "--seed", "5")
	sim := start(t, dir, "we-run", concurrentRun(busy, h, 12)...)
	unions := 0
	for finished := false; !finished; {
		run(t, "", "we-merge", "--store", busy, "--from", fixture.src)
		unions++
		select {
		case err := <-sim.done:
			sim.done <- err // for wait
			finished = true
		default:
		}
	}
	got := lastHash(t, sim.wait(t))
	alone := filepath.Join(dir, "alone.store")
	tool(t, alone, "we-init", "--system", "lj-pair", "--walkers", "48", "--seed", "5")
	if want := weRun(t, dir, concurrentRun(alone, h, 12)...); got != want {
		t.Errorf("simulation beside %d unions: %s, alone %s", unions, got, want)
	}
	fsckClean(t, busy)
	objs := objects(t, busy)
	srcObjs := objects(t, fixture.src)
	for _, o := range srcObjs {
		if _, ok := slices.BinarySearch(objs, o); !ok {
			t.Fatalf("%s of the source is missing after the unions", o)
		}
	}
	t.Logf("%d unions ran beside the simulation", unions)

	// Two unions create one store and fill it at once.
	both := filepath.Join(dir, "both.store")
	u1 := start(t, "", "we-merge", "--store", both, "--from", fixture.src)
	u2 := start(t, "", "we-merge", "--store", both, "--from", fixture.src)
	u1.wait(t)
	u2.wait(t)
	fsckClean(t, both)
	if objs := objects(t, both); !slices.Equal(objs, srcObjs) {
		t.Errorf("two concurrent unions: %d objects, want the source's %d", len(objs), len(srcObjs))
	}
}
