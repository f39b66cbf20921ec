package analyze

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wepipe/wepipe/internal/tools"
	"github.com/wepipe/wepipe/pkg/engine"
)

// The physics of the analysis tools, checked against exact answers on
// runs made by the tools themselves, in process (a cycle costs a few
// milliseconds of tool work on top of the dynamics), several replicas at
// once. Every tolerance below comes from the spread over replicas and is
// stated where it is used.

// physicsStore returns a fresh store directory on a tmpfs when there is
// one, so that fsync does not dominate a test of a few hundred cycles.
func physicsStore(t testing.TB) string {
	t.Helper()
	base := "/dev/shm"
	if _, err := os.Stat(base); err != nil {
		base = t.TempDir()
	}
	d, err := os.MkdirTemp(base, "wepipe-physics-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "s")
}

// runCycles runs n cycles of we-step | we-resample from h and returns the
// last hash.
func runCycles(t *testing.T, st, h string, n, steps int, resample ...string) string {
	t.Helper()
	for i := 0; i < n; i++ {
		h = runTool(t, tools.Step, "--store", st, "--steps", strconv.Itoa(steps), "--workers", "1", h)
		h = runTool(t, tools.Resample, append([]string{"--store", st, h}, resample...)...)
	}
	return h
}

// jsonLines parses a tool's JSON lines.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		rows = append(rows, m)
	}
	return rows
}

func num(t *testing.T, m map[string]any, k string) float64 {
	t.Helper()
	switch v := m[k].(type) {
	case float64:
		return v
	case nil:
		return math.NaN()
	}
	t.Fatalf("%s: %v is not a number", k, m[k])
	return 0
}

// integrate returns ∫_lo^hi f by Simpson's rule on n (even) intervals.
func integrate(f func(float64) float64, lo, hi float64, n int) float64 {
	h := (hi - lo) / float64(n)
	s := f(lo) + f(hi)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(lo+float64(i)*h)
	}
	return s * h / 3
}

// profileReplicas runs a simulation per replica (simulate returns the
// last hash of replica r's run in store st) and returns each replica's
// profile from we-profile --json: the probability of each bin and its
// block error, and the bins' lower edges.
func profileReplicas(t *testing.T, replicas int, simulate func(t *testing.T, st string, r int) string, profileArgs ...string) (p, perr [][]float64, edges []float64) {
	p, perr = make2(replicas), make2(replicas)
	var mu sync.Mutex
	t.Run("replicas", func(t *testing.T) {
		for r := range replicas {
			t.Run(strconv.Itoa(r), func(t *testing.T) {
				t.Parallel()
				st := physicsStore(t)
				h := simulate(t, st, r)
				out := runTool(t, Profile, append([]string{"--store", st, "--json", h}, profileArgs...)...)
				rows := jsonLines(t, out)
				mu.Lock()
				defer mu.Unlock()
				var e []float64
				for _, row := range rows {
					var lo string
					for k := range row {
						if strings.HasSuffix(k, "_lo_nm") {
							lo = k
						}
					}
					e = append(e, num(t, row, lo))
					p[r] = append(p[r], num(t, row, "p"))
					perr[r] = append(perr[r], num(t, row, "p_err"))
					// The columns agree: F = −ln(p/Δ) up to its zero.
					if f := num(t, row, "F_kT"); num(t, row, "p") > 0 && math.IsNaN(f) {
						t.Errorf("F is not a number where p > 0: %v", row)
					}
				}
				if edges == nil {
					edges = e
				}
			})
		}
	})
	return p, perr, edges
}

func make2(n int) [][]float64 { return make([][]float64, n) }

// compareProfile checks replica profiles against the exact free energy per
// bin, exact[b] (kT, any zero; the bins of equal width). Only bins whose
// exact F is within fmax of the minimum are compared: beyond, a bin holds
// few samples. The comparison is made on probabilities, each replica's and
// the exact normalised over those bins: the mean of a probability over
// replicas is unbiased, where the mean of −ln p would be biased upward
// by about var(p)/2p² in a sparsely sampled bin. Checks:
//
//   - the mean over replicas lies within 4 standard errors (their spread
//     over √replicas) of the exact probability, plus 2 % of it for the
//     time step's bias on the sampled distribution (BAOAB's configurational
//     error at Δt = 2 fs is far below it);
//   - with calibrate, the tool's own block-average error bars describe the
//     scatter: the root-mean-square of (p − exact)/p_err over bins and
//     replicas lies in [0.6, 2]. With 10 blocks an error bar is a
//     standard deviation of 10 values, so the ratio follows Student's t
//     with 9 degrees of freedom, whose rms is √(9/7) = 1.13 when the bars
//     are right.
func compareProfile(t *testing.T, p, perr [][]float64, exact []float64, fmax float64, calibrate bool) {
	t.Helper()
	emin := math.Inf(1)
	for _, v := range exact {
		emin = math.Min(emin, v)
	}
	var bins []int
	var ez float64
	for b, v := range exact {
		if v-emin <= fmax {
			bins = append(bins, b)
			ez += math.Exp(-(v - emin))
		}
	}
	if len(bins) < 5 {
		t.Fatalf("only %d bins within %g kT of the minimum", len(bins), fmax)
	}
	want := make([]float64, len(exact))
	for _, b := range bins {
		want[b] = math.Exp(-(exact[b] - emin)) / ez
	}
	norm := make([][]float64, len(p))
	var z2 float64
	nz := 0
	for r := range p {
		var s float64
		for _, b := range bins {
			s += p[r][b]
		}
		norm[r] = make([]float64, len(exact))
		for _, b := range bins {
			norm[r][b] = p[r][b] / s
			if e := perr[r][b] / s; e > 0 {
				d := (norm[r][b] - want[b]) / e
				z2 += d * d
				nz++
			}
		}
	}
	for _, b := range bins {
		col := make([]float64, len(p))
		for r := range p {
			col[r] = norm[r][b]
		}
		m, se := mean(col), stdErr(col)
		f, fw := -math.Log(m/want[bins[0]]), -math.Log(want[b]/want[bins[0]])
		t.Logf("bin %2d: p %.4f ± %.4f, exact %.4f (F %.3f kT, exact %.3f)", b, m, se, want[b], f, fw)
		if d := math.Abs(m - want[b]); d > 4*se+0.02*want[b] || math.IsNaN(m) {
			t.Errorf("bin %d: p %.4f ± %.4f over %d replicas, exact %.4f: off by %.1f standard errors (F %.3f kT, exact %.3f)", b, m, se, len(p), want[b], d/se, f, fw)
		}
	}
	rms := math.Sqrt(z2 / float64(nz))
	t.Logf("rms of (p − exact)/p_err over %d bins × replicas: %.2f", nz, rms)
	if calibrate && (rms < 0.6 || rms > 2) {
		t.Errorf("the block error bars misjudge the scatter: rms z = %.2f, want 0.6 to 2", rms)
	}
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func stdErr(x []float64) float64 {
	m := mean(x)
	var v float64
	for _, xi := range x {
		v += (xi - m) * (xi - m)
	}
	return math.Sqrt(v / float64(len(x)-1) / float64(len(x)))
}

// exactBins returns −ln( ∫_bin p(x) dx / Δ ) for each bin of edges.
func exactBins(p func(float64) float64, edges []float64, width float64) []float64 {
	out := make([]float64, len(edges))
	for i, lo := range edges {
		out[i] = -math.Log(integrate(p, lo, lo+width, 200) / width)
	}
	return out
}

const kT300 = engine.Boltzmann * 300

// TestDoubleWellProfile: the double well's free-energy profile along x is
// U(x) in kT (Boltzmann: p(x) ∝ exp(−U(x)/kT), the transverse terms
// factor out). The run starts at equilibrium between the wells — a system
// file with both minima as initial states of equal weight, as the well is
// symmetric — so that only the relaxation within each well (a few ps) has
// to pass; binned resampling over the barrier samples it. Four walkers per
// bin: with two, the weight a replica finds at the barrier top has a
// heavy tail (a rare heavy walker), and 8 replicas then fell 35 % short
// there, 3.6 of their standard errors, which do not see the tail; with
// four, or without resampling, they agree with the exact value.
func TestDoubleWellProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("physics test: runs simulations")
	}
	const h, a = 10.0, 0.5
	sysFile := filepath.Join(t.TempDir(), "dw.json")
	os.WriteFile(sysFile, []byte(`{
  "name": "double-well-both",
  "particles": [{"name": "X", "mass": 10}],
  "potential": [{"type": "double-well", "params": {"h": 10, "a": 0.5, "k": 100}}],
  "integrator": {"temperature": 300, "friction": 10, "timestep": 0.002},
  "observables": [{"name": "x", "type": "coord", "atoms": [0], "axis": 0}],
  "initial": [{"positions": [[-0.5, 0, 0]]}, {"positions": [[0.5, 0, 0]]}]
}`), 0o644)
	const replicas, cycles, burn = 8, 200, 20
	p, perr, edges := profileReplicas(t, replicas, func(t *testing.T, st string, r int) string {
		h0 := runTool(t, tools.Init, "--store", st, "--system", sysFile, "--walkers", "16", "--seed", strconv.Itoa(r+1))
		return runCycles(t, st, h0, cycles, 500, "--resampler", "binned", "--bins", "x:-0.3,-0.2,-0.1,0,0.1,0.2,0.3", "--per-bin", "4", "--seed", strconv.Itoa(r+1))
	}, "--obs", "x", "--range", "-0.8:0.8", "--bins", "16", "--cycles", strconv.Itoa(burn)+":")
	if t.Failed() {
		return
	}
	U := func(x float64) float64 { q := x*x/(a*a) - 1; return h * q * q }
	exact := exactBins(func(x float64) float64 { return math.Exp(-U(x) / kT300) }, edges, 0.1)
	// Up to 5 kT above the minima: the barrier top (4 kT) included. The
	// error bars are not checked here: the weight in each well fluctuates
	// (resampling moves weight at random, crossings restore the balance
	// over ~170 ps, Kramers' time at γ = 10/ps), longer than the blocks,
	// and block errors then understate, as we-profile's manual warns.
	compareProfile(t, p, perr, exact, 5, false)
}

// TestLJPairProfile: the distance distribution of two Lennard-Jones
// particles is p(r) ∝ r² exp(−U(r)/kT) (the r² from the volume of the
// shell), so the profile along r is −ln(r² e^{−U/kT}). wepy's pair, 16.8
// kT deep, stays bound; WExplore with regions of 0.02 nm clones and
// merges the walkers across the well, so that the histogram's weights
// matter.
func TestLJPairProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("physics test: runs simulations")
	}
	const sigma, eps = 0.335, 41.84
	const replicas, cycles, burn = 6, 120, 20
	p, perr, edges := profileReplicas(t, replicas, func(t *testing.T, st string, r int) string {
		h0 := runTool(t, tools.Init, "--store", st, "--system", "lj-pair", "--walkers", "16", "--seed", strconv.Itoa(r+1))
		return runCycles(t, st, h0, cycles, 250, "--resampler", "wexplore", "--region-sizes", "0.02,0.01", "--seed", strconv.Itoa(r+1))
	}, "--obs", "r", "--range", "0.345:0.425", "--bins", "16", "--cycles", strconv.Itoa(burn)+":", "--blocks", "10")
	if t.Failed() {
		return
	}
	U := func(r float64) float64 { s6 := math.Pow(sigma/r, 6); return 4 * eps * (s6*s6 - s6) }
	exact := exactBins(func(r float64) float64 { return r * r * math.Exp(-U(r)/kT300) }, edges, 0.005)
	compareProfile(t, p, perr, exact, 4, true)
}

// exactMFPT is the mean first-passage time of overdamped (Smoluchowski)
// diffusion from x0 to an absorbing point b with a reflecting wall at lo,
// the standard double integral (Gardiner, Handbook of Stochastic Methods,
// §5.2.7):
//
//	T = (1/D) ∫_{x0}^{b} dy e^{βU(y)} ∫_{lo}^{y} dz e^{−βU(z)}
//
// by the trapezoidal rule on 200 000 intervals (converged to 1e-8).
func exactMFPT(U func(float64) float64, beta, D, lo, x0, b float64) float64 {
	const n = 200000
	h := (b - lo) / n
	var inner, T float64
	prevF := math.Exp(-beta * U(lo))
	prevG := 0.0
	for i := 1; i <= n; i++ {
		y := lo + float64(i)*h
		f := math.Exp(-beta * U(y))
		inner += 0.5 * h * (prevF + f)
		prevF = f
		g := 0.0
		if y > x0 {
			g = math.Exp(beta*U(y)) * inner
		}
		T += 0.5 * h * (prevG + g)
		prevG = g
	}
	return T / D
}

// dwRateRun is one replica of the overdamped double well with warping:
// 8 walkers from the left minimum, binned resampling up the barrier,
// warped back when x ≥ 0.3 nm at the end of a cycle of 2 ps.
func dwRateRun(t *testing.T, st string, r, cycles int) string {
	h0 := runTool(t, tools.Init, "--store", st, "--system", "double-well", "--set", "friction=100", "--walkers", "8", "--seed", strconv.Itoa(r+1))
	return runCycles(t, st, h0, cycles, 1000, "--resampler", "binned",
		"--bins", "x:-0.6,-0.5,-0.4,-0.3,-0.25,-0.2,-0.15,-0.1,-0.05,0,0.05,0.1,0.2", "--per-bin", "2",
		"--warp", "x>=0.3", "--seed", strconv.Itoa(r+1))
}

// TestDoubleWellRate: on the double well in the overdamped limit, with
// warping at x ≥ 0.3 nm, the rate we-rate measures has a confidence
// interval that covers the exact 1/MFPT, and the haMSM we-msm builds from
// the first cycles of the same runs, too short for the WE flux to have
// risen to its steady state, is closer to the exact MFPT than that flux.
//
// Why the overdamped limit: the exact MFPT is the Smoluchowski double
// integral, which holds when the friction is large against the barrier
// frequency ω_b = √(4h/a²/m) = 4/ps: with γ = 100/ps (--set
// friction=100) Kramers' moderate-to-high-friction rate differs from the
// Smoluchowski one by (√(γ²/4 + ω_b²) − γ/2)/(ω_b²/γ) − 1 = −0.06 %, and
// the velocities relax in 1/γ = 0.01 ps, much less than a cycle. The
// target lies past the barrier, 1.6 kT below its top, so that few walkers
// that reach it at a cycle's end recross to the well before the end of a
// cycle (warping only looks at cycle ends).
func TestDoubleWellRate(t *testing.T) {
	if testing.Short() {
		t.Skip("physics test: runs simulations")
	}
	const (
		hh, a, mass, gamma = 10.0, 0.5, 10.0, 100.0
		replicas           = 12
		burn, cycles       = 100, 400 // measured over cycles 100–399
		short              = 100      // the haMSM's run: cycles 0–99
	)
	beta := 1 / kT300
	D := kT300 / (mass * gamma)
	U := func(x float64) float64 { q := x*x/(a*a) - 1; return hh * q * q }
	exact := exactMFPT(U, beta, D, -3*a, -a, 0.3)
	want := 1 / exact
	type result struct {
		rate, lo, hi    float64 // we-rate over cycles burn–cycles (1/ps)
		direct, msm     float64 // MFPTs (ps) from the first `short` cycles
		corrLen, blocks float64
	}
	res := make([]result, replicas)
	t.Run("replicas", func(t *testing.T) {
		for r := range replicas {
			t.Run(strconv.Itoa(r), func(t *testing.T) {
				t.Parallel()
				st := physicsStore(t)
				h := dwRateRun(t, st, r, cycles)
				rows := jsonLines(t, runTool(t, Rate, "--store", st, "--json", "--evolution", "0", "--cycles", fmt.Sprintf("%d:", burn), h))
				res[r].rate, res[r].lo, res[r].hi = num(t, rows[0], "rate_per_ps"), num(t, rows[0], "rate_lo_per_ps"), num(t, rows[0], "rate_hi_per_ps")
				res[r].corrLen, res[r].blocks = num(t, rows[0], "corr_len"), num(t, rows[0], "blocks")
				rows = jsonLines(t, runTool(t, Rate, "--store", st, "--json", "--evolution", "0", "--cycles", fmt.Sprintf(":%d", short), h))
				res[r].direct = num(t, rows[0], "mfpt_ps")
				if rows[0]["mfpt_ps"] == nil { // no flux: an infinite time
					res[r].direct = math.Inf(1)
				}
				rows = jsonLines(t, runTool(t, MSM, "--store", st, "--json", "--bins", "40", "--cycles", fmt.Sprintf(":%d", short), h))
				res[r].msm = math.Inf(1) // no warp yet: no target flux
				if len(rows) > 0 && rows[0]["kind"] == "target" {
					res[r].msm = num(t, rows[0], "mfpt_ps")
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	t.Logf("exact MFPT %.1f ps, rate %.4g /ps", exact, want)
	cover := 0
	var rates, halfWidths []float64
	closer := 0
	var errDirect, errMSM []float64
	for r, x := range res {
		in := x.lo <= want && want <= x.hi
		if in {
			cover++
		}
		rates = append(rates, x.rate)
		halfWidths = append(halfWidths, (x.hi-x.lo)/2)
		ed, em := math.Abs(math.Log(x.direct/exact)), math.Abs(math.Log(x.msm/exact))
		errDirect, errMSM = append(errDirect, ed), append(errMSM, em)
		if em < ed {
			closer++
		}
		t.Logf("replica %2d: rate %.4g [%.4g, %.4g] /ps (blocks of %g cycles), covers %v; first %d cycles: WE MFPT %.4g ps, haMSM %.4g ps", r, x.rate, x.lo, x.hi, x.corrLen+1, in, short, x.direct, x.msm)
	}
	// Coverage. The intervals are nominally 95 %. In 100 replicas of this
	// run (the same system, bins and target, 300 cycles after 100, simulated
	// once outside the store with pkg/engine and pkg/resample) they covered
	// the exact rate 83 times: MCBS over a few hundred cycles of a skewed
	// flux is optimistic. With a true coverage of 83 %, 8 or more of 12
	// replicas cover with probability 0.96 (0.9998 at 95 %); a coverage of
	// 50 % passes with probability 0.19.
	t.Logf("%d of %d intervals cover the exact rate", cover, replicas)
	if cover < 8 {
		t.Errorf("%d of %d 95%% intervals cover the exact rate %.4g /ps", cover, replicas, want)
	}
	// The intervals' width matches the scatter of the estimates: the
	// sample standard deviation of the 12 rates against the mean half
	// width over 1.96, within a factor 2 (the standard deviation of 12
	// values is uncertain by about 20 %, and the bootstrap width by more).
	sd := stdErr(rates) * math.Sqrt(float64(len(rates)))
	if w := mean(halfWidths) / 1.96; sd/w < 0.5 || sd/w > 2 {
		t.Errorf("replica spread %.3g /ps against interval half width/1.96 %.3g /ps", sd, w)
	}
	// Unbiased: the mean rate over replicas within 3 standard errors of
	// the exact one.
	if m, se := mean(rates), stdErr(rates); math.Abs(m-want) > 3*se {
		t.Errorf("mean rate %.4g ± %.2g /ps, exact %.4g /ps", m, se, want)
	}
	// The haMSM from the first cycles against the WE flux of the same
	// cycles: closer to the exact MFPT (in |ln(MFPT/exact)|) in most
	// replicas and on average.
	sort.Float64s(errDirect)
	sort.Float64s(errMSM)
	t.Logf("|ln(MFPT/exact)| from the first %d cycles: WE flux median %.3f, haMSM median %.3f; haMSM closer in %d of %d", short, errDirect[replicas/2], errMSM[replicas/2], closer, replicas)
	if closer < replicas*3/4 || mean(errMSM) >= mean(errDirect) {
		t.Errorf("haMSM closer to the exact MFPT in %d of %d replicas; mean |ln error| haMSM %.3f, WE %.3f", closer, replicas, mean(errMSM), mean(errDirect))
	}
}
