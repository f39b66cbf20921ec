package clitest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wepipe/wepipe/pkg/engine/exec/exectest"
)

// binDir holds the we-* binaries built once by TestMain; root is the
// module's root directory.
var binDir, root string

// TestMain builds the real binaries of every tool once, from the module
// root, so that the scripts exercise exactly what users run.
func TestMain(m *testing.M) {
	// The test binary is also we-fake-engine, the fake external engine of
	// package exectest, on the scripts' PATH.
	os.Exit(testscript.RunMain(mainFunc(func() int { return run(m) }), map[string]func() int{
		"we-fake-engine": exectest.Main,
	}))
}

// mainFunc lets run serve as testscript.RunMain's testing.M.
type mainFunc func() int

func (f mainFunc) Run() int { return f() }

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "wepipe-clitest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "clitest:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "clitest: go env GOMOD:", err)
		return 1
	}
	root = filepath.Dir(strings.TrimSpace(string(gomod)))
	binDir = filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", binDir+string(os.PathSeparator), "./cmd/...")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "clitest: go build ./cmd/...:", err)
		return 1
	}
	return m.Run()
}

// TestScripts runs testdata/*.txtar: every tool's behaviour.
func TestScripts(t *testing.T) {
	testscript.Run(t, params("testdata"))
}

func params(dir string) testscript.Params {
	return testscript.Params{
		Dir:                dir,
		RequireUniqueNames: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			// Scripts find the repository's files (scripts/engines) in $ROOT.
			env.Setenv("ROOT", root)
			env.Setenv("WE_SCRATCH", env.WorkDir)
			// The scripts choose their stores; nothing leaks in from the
			// environment of the test process.
			env.Setenv("WE_STORE", "")
			return nil
		},
		Condition: condition,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":     cmdExitcode,
			"hash":         cmdHash,
			"hashes":       cmdHashes,
			"lines":        cmdLines,
			"prefix":       cmdPrefix,
			"streq":        cmdStreq,
			"jsonkeys":     cmdJSONKeys,
			"jsonget":      cmdJSONGet,
			"weightsum":    cmdWeightSum,
			"stdoutsha256": cmdStdoutSHA256,
			"backdate":     cmdBackdate,
			"truncate":     cmdTruncate,
			"countfiles":   cmdCountFiles,
			"flipbyte":     cmdFlipByte,
		},
	}
}

// panicRE matches what a Go panic or fatal error prints.
var panicRE = regexp.MustCompile(`panic|goroutine \d+|fatal error:`)

// cmdExitcode runs a program and checks its exit status:
//
//	exitcode N prog args...
//
// testscript's "! exec" only checks that the status is not zero; the
// tools promise 1 for failures and 2 for usage errors (ARCHITECTURE.md §5). For a
// we-* program every stderr line must carry the tool's name as prefix,
// and no status other than 0 may come with a panic's trace.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N prog args...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
	stderr := ts.ReadFile("stderr")
	if panicRE.MatchString(stderr) {
		ts.Fatalf("%s panicked:\n%s", args[1], stderr)
	}
	if strings.HasPrefix(args[1], "we-") {
		for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
			if line != "" && !strings.HasPrefix(line, args[1]+": ") {
				ts.Fatalf("stderr line without the %q prefix: %q", args[1]+": ", line)
			}
		}
		if want != 0 && !strings.Contains(stderr, args[1]+": ") {
			ts.Fatalf("%s failed without a message on stderr", args[1])
		}
	}
}

var hashLineRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// stdoutHashes returns the lines of the last stdout, failing unless every
// line is one full 64-hex hash and nothing else (ARCHITECTURE.md §5).
func stdoutHashes(ts *testscript.TestScript) []string {
	out := ts.ReadFile("stdout")
	if out == "" {
		return nil
	}
	if !strings.HasSuffix(out, "\n") {
		ts.Fatalf("stdout does not end with a newline: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if !hashLineRE.MatchString(l) {
			ts.Fatalf("stdout line is not a 64-hex hash: %q", l)
		}
	}
	return lines
}

// cmdHash checks that stdout is exactly one hash line and stores it:
//
//	hash VAR
func cmdHash(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hash VAR")
	}
	hs := stdoutHashes(ts)
	if len(hs) != 1 {
		ts.Fatalf("stdout has %d hash lines, want 1", len(hs))
	}
	ts.Setenv(args[0], hs[0])
}

// cmdHashes checks that stdout is exactly N hash lines:
//
//	hashes N
func cmdHashes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hashes N")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	if hs := stdoutHashes(ts); len(hs) != n {
		ts.Fatalf("stdout has %d hash lines, want %d", len(hs), n)
	}
}

// cmdLines checks the number of lines of stdout:
//
//	lines N
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: lines N")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	if got := strings.Count(ts.ReadFile("stdout"), "\n"); got != n {
		ts.Fatalf("stdout has %d lines, want %d", got, n)
	}
}

// cmdPrefix sets VAR to the first N characters of VALUE:
//
//	prefix VAR N VALUE
func cmdPrefix(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: prefix VAR N VALUE")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	if n > len(args[2]) {
		ts.Fatalf("prefix %d of %q: too short", n, args[2])
	}
	ts.Setenv(args[0], args[2][:n])
}

// cmdStreq checks that two strings are (with !, are not) equal:
//
//	[!] streq A B
func cmdStreq(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: [!] streq A B")
	}
	if eq := args[0] == args[1]; eq == neg {
		if neg {
			ts.Fatalf("%q == %q, want them different", args[0], args[1])
		}
		ts.Fatalf("%q != %q", args[0], args[1])
	}
}

// stdoutJSON parses every line of stdout as a JSON object.
func stdoutJSON(ts *testscript.TestScript) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(ts.ReadFile("stdout")))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			ts.Fatalf("stdout line is not a JSON object: %v: %q", err, sc.Text())
		}
		out = append(out, m)
	}
	ts.Check(sc.Err())
	if len(out) == 0 {
		ts.Fatalf("stdout has no JSON lines")
	}
	return out
}

// cmdJSONKeys checks that every stdout line is a JSON object with exactly
// these keys:
//
//	jsonkeys KEY...
func cmdJSONKeys(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: jsonkeys KEY...")
	}
	want := map[string]bool{}
	for _, k := range args {
		want[k] = true
	}
	for i, m := range stdoutJSON(ts) {
		for k := range m {
			if !want[k] {
				ts.Fatalf("line %d: unexpected key %q", i+1, k)
			}
		}
		for k := range want {
			if _, ok := m[k]; !ok {
				ts.Fatalf("line %d: key %q missing", i+1, k)
			}
		}
	}
}

// cmdJSONGet sets VAR to the value at a dotted path (object keys and
// array indices) in the JSON object on stdout line LINE (default 1);
// strings are stored bare, anything else as JSON:
//
//	jsonget VAR PATH [LINE]
func cmdJSONGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: jsonget VAR PATH [LINE]")
	}
	objs := stdoutJSON(ts)
	line := 1
	if len(args) == 3 {
		var err error
		line, err = strconv.Atoi(args[2])
		ts.Check(err)
	}
	if line < 1 || line > len(objs) {
		ts.Fatalf("line %d of %d", line, len(objs))
	}
	var v any = objs[line-1]
	for _, p := range strings.Split(args[1], ".") {
		switch x := v.(type) {
		case map[string]any:
			e, ok := x[p]
			if !ok {
				ts.Fatalf("%s: no key %q", args[1], p)
			}
			v = e
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				ts.Fatalf("%s: bad index %q into %d elements", args[1], p, len(x))
			}
			v = x[i]
		default:
			ts.Fatalf("%s: %q into a %T", args[1], p, v)
		}
	}
	if s, ok := v.(string); ok {
		ts.Setenv(args[0], s)
		return
	}
	b, err := json.Marshal(v)
	ts.Check(err)
	ts.Setenv(args[0], string(b))
}

// cmdWeightSum sums the "weight" members of the JSON lines on stdout
// (only those with "index" in [FROM, TO) when given) and compares the sum
// with WANT:
//
//	weightsum WANT [FROM TO]
//
// The tolerance is ARCHITECTURE.md §7's: |Σw − want| ≤ 1e-12.
func cmdWeightSum(ts *testscript.TestScript, neg bool, args []string) {
	if neg || (len(args) != 1 && len(args) != 3) {
		ts.Fatalf("usage: weightsum WANT [FROM TO]")
	}
	want, err := strconv.ParseFloat(args[0], 64)
	ts.Check(err)
	from, to := math.MinInt, math.MaxInt
	if len(args) == 3 {
		from, err = strconv.Atoi(args[1])
		ts.Check(err)
		to, err = strconv.Atoi(args[2])
		ts.Check(err)
	}
	var sum float64
	n := 0
	for i, m := range stdoutJSON(ts) {
		if len(args) == 3 {
			idx, ok := m["index"].(json.Number)
			if !ok {
				ts.Fatalf("line %d has no index", i+1)
			}
			k, err := idx.Int64()
			ts.Check(err)
			if int(k) < from || int(k) >= to {
				continue
			}
		}
		w, ok := m["weight"].(json.Number)
		if !ok {
			ts.Fatalf("line %d has no weight", i+1)
		}
		x, err := w.Float64()
		ts.Check(err)
		if !(x > 0) {
			ts.Fatalf("line %d: weight %v is not positive", i+1, x)
		}
		sum += x
		n++
	}
	if n == 0 {
		ts.Fatalf("no weights selected")
	}
	if math.Abs(sum-want) > 1e-12 {
		ts.Fatalf("Σw = %.17g over %d walkers, want %v within 1e-12", sum, n, want)
	}
}

// cmdStdoutSHA256 checks the SHA-256 of the last stdout's bytes:
//
//	stdoutsha256 HEX
func cmdStdoutSHA256(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: stdoutsha256 HEX")
	}
	sum := sha256.Sum256([]byte(ts.ReadFile("stdout")))
	if got := hex.EncodeToString(sum[:]); got != args[0] {
		ts.Fatalf("sha256(stdout) = %s, want %s", got, args[0])
	}
}

// cmdBackdate sets a file's modification time DURATION into the past:
//
//	backdate FILE DURATION
func cmdBackdate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: backdate FILE DURATION")
	}
	d, err := time.ParseDuration(args[1])
	ts.Check(err)
	t := time.Now().Add(-d)
	ts.Check(os.Chtimes(ts.MkAbs(args[0]), t, t))
}

// cmdTruncate cuts a file to N bytes:
//
//	truncate FILE N
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate FILE N")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
}

// cmdCountFiles checks the number of entries of a directory:
//
//	countfiles DIR N
func cmdCountFiles(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: countfiles DIR N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	ents, err := os.ReadDir(ts.MkAbs(args[0]))
	ts.Check(err)
	if len(ents) != n {
		ts.Fatalf("%s has %d entries, want %d", args[0], len(ents), n)
	}
}

// cmdFlipByte inverts the lowest bit of byte N of a file (N < 0 counts
// from the end):
//
//	flipbyte FILE N
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	p := ts.MkAbs(args[0])
	b, err := os.ReadFile(p)
	ts.Check(err)
	if n < 0 {
		n += len(b)
	}
	if n < 0 || n >= len(b) {
		ts.Fatalf("%s has %d bytes, no byte %s", args[0], len(b), args[1])
	}
	b[n] ^= 1
	ts.Check(os.WriteFile(p, b, 0o644))
}

// tool runs a built tool with the given environment and returns its
// trimmed stdout.
func tool(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// TestKillResume kills we-step with SIGKILL while it propagates, runs the
// same command again and checks that it prints the hash an uninterrupted
// step prints in another store (ARCHITECTURE.md §4: a crashed stage resumes from
// the walkers it already finished), that the resumed step reuses the
// walkers recorded before the kill, and that the killed store is sound.
// The kill must land after the first progress entry for the reuse to be
// seen; on a loaded machine it may come first, and then the test starts
// over in a fresh store (up to killAttempts times).
func TestKillResume(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.store")
	env := []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir}
	init := []string{"--system", "lj-pair", "--walkers", "48"}
	h := tool(t, env, "we-init", append(init, "--store", clean)...)
	// 48 walkers × 10⁶ steps take about 1.2 s on two cores (49 ns per
	// step), so the kill lands while walkers are still missing.
	step := []string{"--steps", "1000000", "--workers", "2", h}

	const killAttempts = 5
	var killed string
	done := 0
	for attempt := 1; done == 0; attempt++ {
		if attempt > killAttempts {
			t.Fatalf("in %d attempts the kill never landed after the first progress entry; the resume could not be checked", killAttempts)
		}
		killed = filepath.Join(dir, fmt.Sprintf("killed-%d.store", attempt))
		if h2 := tool(t, env, "we-init", append(init, "--store", killed)...); h2 != h {
			t.Fatalf("we-init gave %s and %s for the same system", h, h2)
		}
		// Kill as soon as a progress entry records durable walkers.
		cmd, stderr := startStep(t, env, killed, step)
		memo := filepath.Join(killed, "memo")
		if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("we-step was not killed (it finished first: %v); make the step longer\n%s", err, stderr.String())
		}
		ents, err := os.ReadDir(memo)
		if err != nil {
			t.Fatal(err)
		}
		snaps, err := os.ReadDir(filepath.Join(killed, "objects", "snapshot"))
		if err != nil {
			t.Fatal(err)
		}
		// A killed step has at most its progress entry and no output snapshot.
		if len(ents) > 1 || len(snaps) != 1 {
			t.Fatalf("after the kill: %d memo entries and %d snapshots; the step was not interrupted", len(ents), len(snaps))
		}
		if len(ents) == 1 {
			b, err := os.ReadFile(filepath.Join(memo, ents[0].Name()))
			if err != nil {
				t.Fatal(err)
			}
			done = strings.Count(string(b), "\n")
		}
		if done >= 48 {
			t.Fatalf("the progress entry lists %d of 48 walkers; the step was not interrupted", done)
		}
		// The killed store is sound: whole objects only (young temp files
		// of the dead writer are kept, not reported).
		tool(t, env, "we-fsck", "--store", killed)
		if done == 0 {
			t.Logf("attempt %d: killed before the first progress entry; starting over in a fresh store", attempt)
		}
	}
	t.Logf("killed with %d of 48 walkers recorded", done)

	want := resumeStep(t, env, killed, clean, step, done)
	// A step already done prints its hash at once.
	if again := tool(t, env, "we-step", append(step, "--store", killed)...); again != want {
		t.Fatalf("rerun gave %s, want %s", again, want)
	}
	tool(t, env, "we-fsck", "--store", killed, "--tmp-age", "1ns")
}

// TestInterruptResume: SIGINT stops a running step cleanly (exit 1, a
// message saying how to resume, the walkers finished so far made durable
// and recorded), and the same command then finishes the step with the
// hash of an uninterrupted one.
func TestInterruptResume(t *testing.T) {
	dir := t.TempDir()
	st, clean := filepath.Join(dir, "int.store"), filepath.Join(dir, "clean.store")
	env := []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir}
	init := []string{"--system", "lj-pair", "--walkers", "48"}
	h := tool(t, env, "we-init", append(init, "--store", st)...)
	tool(t, env, "we-init", append(init, "--store", clean)...)
	step := []string{"--steps", "1000000", "--workers", "2", h} // about 1.2 s

	// Interrupt once a progress entry shows that walkers are durable (the
	// handler is installed by then: it takes well under a millisecond).
	cmd, stderr := startStep(t, env, st, step)
	memo := filepath.Join(st, "memo")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("interrupted we-step: %v, want exit status 1 (make the step longer if it finished)\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "run the same command again to resume") {
		t.Errorf("interrupted we-step said %q", stderr.String())
	}
	ents, err := os.ReadDir(memo)
	if err != nil || len(ents) != 1 {
		t.Fatalf("after the interrupt: memo entries %v (%v), want the progress entry", ents, err)
	}
	b, err := os.ReadFile(filepath.Join(memo, ents[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	done := strings.Count(string(b), "\n")
	if done == 0 || done >= 48 {
		t.Fatalf("the progress entry lists %d of 48 walkers", done)
	}
	// Nothing is left half-written: no temp files, a sound store.
	if tmps, _ := os.ReadDir(filepath.Join(st, "tmp")); len(tmps) != 0 {
		t.Errorf("%d temp files left after a clean interrupt", len(tmps))
	}
	tool(t, env, "we-fsck", "--store", st)

	resumeStep(t, env, st, clean, step, done)
}

// startStep starts we-step with args into store and waits until its
// progress entry records durable walkers (it is written every 250 ms) or
// 1.5 s have passed, whichever comes first; the step is still running
// unless it was too short.
func startStep(t *testing.T, env []string, store string, args []string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "we-step"), append(args, "--store", store)...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	memo := filepath.Join(store, "memo")
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if ents, _ := os.ReadDir(memo); len(ents) > 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	return cmd, &stderr
}

// resumeStep runs the stopped step again and checks that it reuses the
// done walkers and ends with the hash of an uninterrupted step, computed
// in store clean.
func resumeStep(t *testing.T, env []string, store, clean string, args []string, done int) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "we-step"), append(args, "--store", store)...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("resuming: %d of 48 walkers were done", done)) {
		t.Errorf("the resumed step did not reuse the %d recorded walkers; stderr: %q", done, stderr.String())
	}
	got, want := strings.TrimSpace(string(out)), tool(t, env, "we-step", append(args, "--store", clean)...)
	if got != want {
		t.Fatalf("resumed step gave %s, an uninterrupted one %s", got, want)
	}
	return want
}

// conditions are the external programs scripts may need: [cbor2]
// (Python's cbor2), [openmm] (OpenMM's Python with cbor2) and [lammps]
// (lmp). Where one is missing a script skips its part, except in CI
// (CI set), which installs them all (scripts/test.sh): there a missing
// program is an error.
var conditions = map[string][]string{
	"cbor2":  {"/usr/bin/python3", "-c", "import cbor2"},
	"openmm": {"/usr/bin/python3", "-c", "import openmm, cbor2, numpy"},
	"lammps": {"lmp", "-h"},
}

var conditionCache sync.Map

func condition(cond string) (bool, error) {
	cmd, ok := conditions[cond]
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	v, done := conditionCache.Load(cond)
	if !done {
		out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
		if err != nil && os.Getenv("CI") != "" {
			return false, fmt.Errorf("[%s] is required in CI: %v: %v %s", cond, cmd, err, out)
		}
		v, _ = conditionCache.LoadOrStore(cond, err == nil)
	}
	return v.(bool), nil
}
