package record_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json and the test vector section of FORMAT.md")

const (
	vectorsFile = "testdata/vectors.json"
	formatFile  = "../../FORMAT.md"
	beginMarker = "<!-- vectors:begin -->"
	endMarker   = "<!-- vectors:end -->"
)

// Vector is one valid encoding: a record (or a bare typed array) with its
// diagnostic notation (RFC 8949 §8), canonical bytes and SHA-256.
type Vector struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // a record kind, or "array"
	Diag   string `json:"diag"`
	Hex    string `json:"hex"`
	SHA256 string `json:"sha256"`
}

// Invalid is an encoding every reader must refuse.
type Invalid struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
	Hex    string `json:"hex"`
}

// Vectors is the content of testdata/vectors.json.
type Vectors struct {
	Comment string    `json:"comment"`
	Version int       `json:"format_version"`
	Valid   []Vector  `json:"valid"`
	Invalid []Invalid `json:"invalid"`
}

// vectorObjects builds the test vectors: a consistent miniature run of the
// lj-pair system (ARCHITECTURE.md §6) — its initial state, a system, the we-init
// snapshot, one step (with a segment), one shard of that step, and the
// resampled snapshot of the next cycle with a warp — in the order a writer
// stores them (everything referenced first).
func vectorObjects(t testing.TB) (names []string, objs []record.Object) {
	add := func(name string, o record.Object) record.Hash {
		t.Helper()
		_, h, err := record.Encode(o)
		if err != nil {
			t.Fatalf("vector %s: %v", name, err)
		}
		names = append(names, name)
		objs = append(objs, o)
		return h
	}
	sigma := 0.335
	r0 := math.Pow(2, 1.0/6) * sigma

	init := record.NewState()
	init.Positions = codec.NewArray([]float64{0, 0, 0, r0, 0, 0}, 2, 3)
	init.Velocities = codec.NewArray(make([]float64, 6), 2, 3)
	init.Potential = -41.84
	init.Obs = map[string]float64{"r": r0}
	hInit := add("state-initial", init)

	sys := record.NewSystem()
	sys.Name = "lj-pair"
	sys.Engine = "langevin"
	sys.Particles = record.Particles{Masses: codec.NewArray([]float64{39.9, 39.9}, 2), Names: []string{"A", "B"}, Elements: []string{"Ar", "Ar"}}
	sys.Potential = []record.Term{{Type: "lj", Params: map[string]float64{"sigma": sigma, "epsilon": 41.84}}}
	sys.Integrator = record.Integrator{Name: "baoab", Temperature: 300, Friction: 1, Timestep: 0.002}
	sys.Obs = []record.Observable{{Name: "r", Type: "distance", Atoms: []int{0, 1}}}
	sys.Initial = []record.Initial{{State: hInit, Weight: 1}}
	hSys := add("system", sys)

	snap0 := record.NewSnapshot()
	snap0.System = hSys
	snap0.Op = record.Op{Tool: "we-init", Version: "1", Params: map[string]string{"seed": "7", "walkers": "2"}}
	for range 2 {
		snap0.Walkers = append(snap0.Walkers, record.Walker{State: hInit, Weight: 0.5, Parent: -1, Obs: map[string]float64{"r": r0}})
	}
	hSnap0 := add("snapshot-init", snap0)

	near := record.NewState()
	near.Positions = codec.NewArray([]float64{-0.01, 0.02, 0, 0.385, -0.0125, 0.005}, 2, 3)
	near.Velocities = codec.NewArray([]float64{0.25, -0.5, 0.125, -0.25, 0.5, -0.125}, 2, 3)
	near.Time = 2
	near.Step = 1000
	near.Potential = -40.5
	near.Kinetic = 3.75
	near.Obs = map[string]float64{"r": 0.3953}
	hNear := add("state", near)

	far := record.NewState()
	far.Positions = codec.NewArray([]float64{0, 0, 0, 1.125, 0, 0}, 2, 3)
	far.Velocities = codec.NewArray([]float64{-0.5, 0, 0, 0.5, 0, 0}, 2, 3)
	far.Time = 2
	far.Step = 1000
	far.Potential = -0.0625
	far.Kinetic = 9.975
	far.Obs = map[string]float64{"r": 1.125}
	hFar := add("state-far", far)

	seg := record.NewSegment()
	seg.Positions = codec.NewArray([]float64{0, 0, 0, 0.38, 0, 0, -0.01, 0.02, 0, 0.385, -0.0125, 0.005}, 2, 2, 3)
	seg.Steps = []uint64{500, 1000}
	seg.Times = []float64{1, 2}
	seg.Obs = map[string][]float64{"r": {0.38, 0.3953}}
	hSeg := add("segment", seg)

	stepOp := record.Op{Tool: "we-step", Version: "1", Params: map[string]string{"frames": "2", "seed": "0", "steps": "1000"}}
	step := record.NewSnapshot()
	step.System = hSys
	step.Parents = []record.Hash{hSnap0}
	step.Op = stepOp
	step.Walkers = []record.Walker{
		{State: hNear, Weight: 0.5, Parent: 0, Obs: map[string]float64{"r": 0.3953}, Segment: &hSeg},
		{State: hFar, Weight: 0.5, Parent: 1, Obs: map[string]float64{"r": 1.125}},
	}
	hStep := add("snapshot-step", step)

	// Shard 1 of 2 of the same step: walkers [1, 2) of 2.
	shard := record.NewSnapshot()
	shard.System = hSys
	shard.Parents = []record.Hash{hSnap0}
	shard.Op = stepOp
	shard.Walkers = step.Walkers[1:]
	shard.Shard = &record.Shard{Index: 1, Count: 2, Total: 2}
	add("snapshot-shard", shard)

	// Resampling: walker 1 met r >= 1.0 in cycle 0 and is warped to the
	// initial state, keeping its weight; WExplore then leaves both walkers.
	regions, err := codec.Marshal(map[string][][]float64{"centers": {{0.3953}}})
	if err != nil {
		t.Fatal(err)
	}
	res := record.NewSnapshot()
	res.Cycle = 1
	res.System = hSys
	res.Parents = []record.Hash{hStep}
	res.Op = record.Op{Tool: "we-resample", Version: "1", Params: map[string]string{"resampler": "wexplore", "warp": "r>=1.0"}}
	res.Walkers = []record.Walker{
		{State: hNear, Weight: 0.5, Parent: 0, Obs: map[string]float64{"r": 0.3953}, Region: []int{0, 0}},
		{State: hInit, Weight: 0.5, Parent: 1, Obs: map[string]float64{"r": r0}, Region: []int{0, 0}},
	}
	res.Decisions = []record.Decision{{Decision: 1, Targets: []int{0}}, {Decision: 1, Targets: []int{1}}}
	res.Warps = []record.Warp{{Cycle: 0, Walker: 1, Weight: 0.5, Target: 0, Cond: "r>=1.0"}}
	res.Summary = map[string]float64{"regions": 1}
	res.Resampler = &record.Resampler{Name: "wexplore", State: regions}
	hRes := add("snapshot-resample", res)

	// The run that made it: one cycle from the we-init snapshot.
	run := record.NewRun()
	run.Start, run.End, run.Cycles, run.Status = hSnap0, hRes, 1, record.RunDone
	run.Config = record.RunConfig{
		Step: stepOp.Params, Resample: res.Op.Params, Engine: "langevin", Shards: 2, Version: "1",
	}
	run.MaxCycles = 1
	run.Began, run.Ended, run.Wall = "2026-12-02T10:00:00Z", "2026-12-02T10:00:00.25Z", 0.25
	run.Build = "wepipe (devel), algorithms 1, go1.26.8"
	add("run", run)

	// The same pair run by external engines (ENGINES.md): a per-segment
	// program with a time limit, and OpenMM with the pair as a serialized
	// System (what `we-init --system lj-pair --engine openmm` stores).
	sysExec := *sys
	sysExec.Engine = "exec"
	sysExec.Exec = &record.Exec{Command: []string{"/usr/bin/python3", "lj-segment.py", "--quiet"}, Mode: record.ModeSegment, Timeout: 30}
	add("system-exec", &sysExec)
	sysMM := *sys
	sysMM.Engine = "openmm"
	sysMM.OpenMM = &record.OpenMM{System: openmmPairXML, Version: "7.7", Options: map[string]string{"system": "lj-pair"}}
	add("system-openmm", &sysMM)
	return names, objs
}

// openmmPairXML is the lj-pair as OpenMM 7.7's XmlSerializer writes it.
const openmmPairXML = `<?xml version="1.0" ?>
<System openmmVersion="7.7" type="System" version="1">
	<PeriodicBoxVectors>
		<A x="2" y="0" z="0"/>
		<B x="0" y="2" z="0"/>
		<C x="0" y="0" z="2"/>
	</PeriodicBoxVectors>
	<Particles>
		<Particle mass="39.9"/>
		<Particle mass="39.9"/>
	</Particles>
	<Constraints/>
	<Forces>
		<Force energy="4*epsilon*((sigma/r)^12-(sigma/r)^6)" forceGroup="0" name="CustomBondForce" type="CustomBondForce" usesPeriodic="0" version="3">
			<PerBondParameters>
				<Parameter name="sigma"/>
				<Parameter name="epsilon"/>
			</PerBondParameters>
			<GlobalParameters/>
			<EnergyParameterDerivatives/>
			<Bonds>
				<Bond p1="0" p2="1" param1=".335" param2="41.84"/>
			</Bonds>
		</Force>
	</Forces>
</System>
`

// cbor building blocks for the invalid vectors.

func head(major byte, arg uint64) []byte {
	var b [9]byte
	m := major << 5
	switch {
	case arg < 24:
		return []byte{m | byte(arg)}
	case arg <= math.MaxUint8:
		return []byte{m | 24, byte(arg)}
	case arg <= math.MaxUint16:
		b[0] = m | 25
		binary.BigEndian.PutUint16(b[1:], uint16(arg))
		return b[:3]
	case arg <= math.MaxUint32:
		b[0] = m | 26
		binary.BigEndian.PutUint32(b[1:], uint32(arg))
		return b[:5]
	}
	b[0] = m | 27
	binary.BigEndian.PutUint64(b[1:], arg)
	return b[:9]
}

func text(s string) []byte { return append(head(3, uint64(len(s))), s...) }

// entry is one key/value pair of an encoded map, the value as raw bytes.
type entry struct {
	key string
	val []byte
}

// entries splits the canonical map with text keys at the start of b into
// its pairs, in order.
func entries(t testing.TB, b []byte) []entry {
	t.Helper()
	var m map[string]cbor.RawMessage
	if _, err := cbor.UnmarshalFirst(b, &m); err != nil {
		t.Fatal(err)
	}
	var out []entry
	for k, v := range m {
		out = append(out, entry{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		return bytes.Compare(text(out[i].key), text(out[j].key)) < 0
	})
	return out
}

// mapBytes writes pairs as a definite-length map, in the given order.
func mapBytes(es []entry) []byte {
	b := head(5, uint64(len(es)))
	for _, e := range es {
		b = append(b, text(e.key)...)
		b = append(b, e.val...)
	}
	return b
}

// set returns es with key's value replaced (or the pair inserted in
// canonical order).
func set(es []entry, key string, val []byte) []entry {
	out := append([]entry(nil), es...)
	for i := range out {
		if out[i].key == key {
			out[i].val = val
			return out
		}
	}
	out = append(out, entry{key, val})
	sort.Slice(out, func(i, j int) bool {
		return bytes.Compare(text(out[i].key), text(out[j].key)) < 0
	})
	return out
}

func drop(es []entry, key string) []entry {
	var out []entry
	for _, e := range es {
		if e.key != key {
			out = append(out, e)
		}
	}
	return out
}

func f64(x float64) []byte {
	b := []byte{0xfb, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(b[1:], math.Float64bits(x))
	return b
}

// invalidVectors derives from the valid encodings the byte sequences that
// a reader must refuse, each breaking exactly one rule of FORMAT.md.
func invalidVectors(t testing.TB, enc map[string][]byte) []Invalid {
	state := entries(t, enc["state"])
	get := func(es []entry, key string) []byte {
		for _, e := range es {
			if e.key == key {
				return e.val
			}
		}
		t.Fatalf("no key %q", key)
		return nil
	}
	var out []Invalid
	add := func(name, reason string, b []byte) {
		out = append(out, Invalid{name, reason, hex.EncodeToString(b)})
	}
	swapped := append([]entry(nil), state...)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	add("unsorted-keys", `the state with its first two keys ("v" and "obs") swapped`, mapBytes(swapped))
	add("non-shortest-int", `"step": 1000 written with a four-byte argument (1a000003e8) instead of 1903e8`,
		mapBytes(set(state, "step", []byte{0x1a, 0, 0, 0x03, 0xe8})))
	add("float64-for-float16", `"ekin": 3.75 written as binary64 although binary16 holds it exactly`,
		mapBytes(set(state, "ekin", f64(3.75))))
	add("float-for-int", `"step": 1000 written as the float 1000.0`,
		mapBytes(set(state, "step", []byte{0xf9, 0x63, 0xd0})))
	indef := []byte{0xbf}
	indef = append(indef, mapBytes(state)[1:]...)
	add("indefinite-length", "the state map with indefinite length (bf … ff)", append(indef, 0xff))
	dup := append([]entry(nil), state...)
	dup = append(dup[:2], append([]entry{dup[1]}, dup[2:]...)...)
	add("duplicate-key", "the state with its second key repeated", mapBytes(dup))
	add("unknown-field", `the state with an extra "mass" field`, mapBytes(set(state, "mass", []byte{0x01})))
	add("missing-field", `the state without its required "ekin" field`, mapBytes(drop(state, "ekin")))
	add("newer-version", `the state with "v": 2, a version this format does not define`, mapBytes(set(state, "v", []byte{0x02})))
	add("version-zero", `the state with "v": 0`, mapBytes(set(state, "v", []byte{0x00})))
	add("unknown-kind", `the state with "kind": "trajectory"`, mapBytes(set(state, "kind", text("trajectory"))))
	add("tag-85", "positions tagged 85 (float32 little endian) instead of 86",
		mapBytes(set(state, "positions", bytes.Replace(get(state, "positions"), []byte{0xd8, 86}, []byte{0xd8, 85}, 1))))
	add("shape-data-mismatch", "positions of shape [3, 3] holding 6 values",
		mapBytes(set(state, "positions", bytes.Replace(get(state, "positions"), []byte("shape\x82\x02\x03"), []byte("shape\x82\x03\x03"), 1))))
	add("trailing-bytes", "the state followed by one more byte (00)", append(append([]byte(nil), enc["state"]...), 0))
	add("nan-position", "a NaN position (positions and velocities must be finite)",
		mapBytes(set(state, "positions", bytes.Replace(get(state, "positions"), binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.385)), binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.NaN())), 1))))

	sys := entries(t, enc["system"])
	add("null-for-array", `the system with "observables": null (an empty list is an empty array)`,
		mapBytes(set(sys, "observables", []byte{0xf6})))
	init := entries(t, get(sys, "initial")[1:]) // the one initial state: skip the array head
	hash := get(init, "state")
	short := append(head(2, 31), hash[2:33]...)
	add("short-hash", "the system's initial state referenced by a 31-byte hash",
		mapBytes(set(sys, "initial", append([]byte{0x81}, mapBytes(set(init, "state", short))...))))

	snap := entries(t, enc["snapshot-init"])
	walkers := get(snap, "walkers")
	w0 := entries(t, walkers[1:]) // both walkers are equal: decode the first
	w25 := mapBytes(set(w0, "weight", []byte{0xf9, 0x34, 0x00}))
	add("weights-do-not-sum-to-one", "the we-init snapshot with weights 0.5 and 0.25",
		mapBytes(set(snap, "walkers", append(append([]byte{0x82}, mapBytes(w0)...), w25...))))
	wNeg := mapBytes(set(w0, "weight", []byte{0xf9, 0xb8, 0x00}))
	add("negative-weight", "the we-init snapshot with weights 0.5 and −0.5",
		mapBytes(set(snap, "walkers", append(append([]byte{0x82}, mapBytes(w0)...), wNeg...))))

	res := entries(t, enc["snapshot-resample"])
	d := entries(t, get(res, "decisions")[1:])
	d5 := mapBytes(set(d, "decision", []byte{0x05}))
	add("unknown-decision", "a resampling decision 5 (wepy defines 1 to 4)",
		mapBytes(set(res, "decisions", append(append([]byte{0x82}, d5...), mapBytes(set(d, "targets", []byte{0x81, 0x01}))...))))
	sh := entries(t, enc["snapshot-shard"])
	huge := mapBytes([]entry{
		{"count", head(0, 1<<62+1)},
		{"index", head(0, 1<<62)},
		{"total", head(0, 4)},
	})
	add("shard-overflow", "a shard 2^62 of 2^62+1 of 4 walkers with no walkers (i·total overflows 64 bits; counts are limited to 2^31−1)",
		mapBytes(set(set(sh, "walkers", []byte{0x80}), "shard", huge)))

	sx := entries(t, enc["system-exec"])
	ex := entries(t, get(sx, "exec"))
	add("unknown-exec-mode", `the exec system with "exec.mode": "batch" (only "segment" or none)`,
		mapBytes(set(sx, "exec", mapBytes(set(ex, "mode", text("batch"))))))
	add("openmm-without-system", `the openmm system without its "openmm" field (the serialized System)`,
		mapBytes(drop(entries(t, enc["system-openmm"]), "openmm")))
	return out
}

// diag renders one CBOR data item in diagnostic notation (RFC 8949 §8),
// one map pair per line, floats with their encoding indicator (_1 binary16,
// _2 binary32, _3 binary64) and typed arrays followed by their values in a
// comment.
func diag(t testing.TB, b []byte) string {
	var sb strings.Builder
	rest := diagItem(t, &sb, b, "")
	if len(rest) != 0 {
		t.Fatalf("diag: %d trailing bytes", len(rest))
	}
	return sb.String()
}

func readArg(t testing.TB, b []byte) (major byte, ai byte, arg uint64, rest []byte) {
	major, ai = b[0]>>5, b[0]&31
	switch {
	case ai < 24:
		return major, ai, uint64(ai), b[1:]
	case ai == 24:
		return major, ai, uint64(b[1]), b[2:]
	case ai == 25:
		return major, ai, uint64(binary.BigEndian.Uint16(b[1:])), b[3:]
	case ai == 26:
		return major, ai, uint64(binary.BigEndian.Uint32(b[1:])), b[5:]
	case ai == 27:
		return major, ai, binary.BigEndian.Uint64(b[1:]), b[9:]
	}
	t.Fatalf("diag: additional information %d", ai)
	return
}

func formatFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEN") {
		s += ".0"
	}
	return s
}

func diagItem(t testing.TB, sb *strings.Builder, b []byte, indent string) []byte {
	major, ai, arg, rest := readArg(t, b)
	switch major {
	case 0:
		fmt.Fprintf(sb, "%d", arg)
	case 1:
		fmt.Fprintf(sb, "-%d", arg+1)
	case 2:
		fmt.Fprintf(sb, "h'%x'", rest[:arg])
		rest = rest[arg:]
	case 3:
		sb.Write(jsonText(string(rest[:arg])))
		rest = rest[arg:]
	case 4:
		// Arrays of scalars on one line, others one element per line.
		simple := true
		r := rest
		for i := uint64(0); i < arg; i++ {
			if m := r[0] >> 5; m >= 4 && m != 7 {
				simple = false
				break
			}
			var tmp strings.Builder
			r = diagItem(t, &tmp, r, "")
		}
		if simple {
			sb.WriteString("[")
			for i := uint64(0); i < arg; i++ {
				if i > 0 {
					sb.WriteString(", ")
				}
				rest = diagItem(t, sb, rest, indent)
			}
			sb.WriteString("]")
			break
		}
		sb.WriteString("[\n")
		for i := uint64(0); i < arg; i++ {
			sb.WriteString(indent + "  ")
			rest = diagItem(t, sb, rest, indent+"  ")
			if i+1 < arg {
				sb.WriteString(",")
			}
			sb.WriteString("\n")
		}
		sb.WriteString(indent + "]")
	case 5:
		if arg == 0 {
			sb.WriteString("{}")
			break
		}
		sb.WriteString("{\n")
		for i := uint64(0); i < arg; i++ {
			sb.WriteString(indent + "  ")
			rest = diagItem(t, sb, rest, indent+"  ")
			sb.WriteString(": ")
			rest = diagItem(t, sb, rest, indent+"  ")
			if i+1 < arg {
				sb.WriteString(",")
			}
			sb.WriteString("\n")
		}
		sb.WriteString(indent + "}")
	case 6:
		fmt.Fprintf(sb, "%d(", arg)
		start := rest
		rest = diagItem(t, sb, rest, indent)
		sb.WriteString(")")
		if arg == codec.TagFloat64LE {
			_, _, n, payload := readArg(t, start)
			var xs []string
			for i := uint64(0); i+8 <= n; i += 8 {
				xs = append(xs, formatFloat(math.Float64frombits(binary.LittleEndian.Uint64(payload[i:]))))
			}
			if len(xs) > 0 {
				fmt.Fprintf(sb, " / %s /", strings.Join(xs, ", "))
			}
		}
	case 7:
		switch ai {
		case 20:
			sb.WriteString("false")
		case 21:
			sb.WriteString("true")
		case 22:
			sb.WriteString("null")
		case 25:
			sb.WriteString(formatFloat(float64(cborHalf(uint16(arg)))) + "_1")
		case 26:
			sb.WriteString(formatFloat(float64(math.Float32frombits(uint32(arg)))) + "_2")
		case 27:
			sb.WriteString(formatFloat(math.Float64frombits(arg)) + "_3")
		default:
			fmt.Fprintf(sb, "simple(%d)", arg)
		}
	}
	return rest
}

// jsonText quotes s as a JSON string, which is also its diagnostic
// notation, without escaping <, > and &.
func jsonText(s string) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(s); err != nil {
		panic(err) // a Go string always encodes
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// cborHalf converts IEEE 754 binary16 bits (RFC 8949 Appendix D).
func cborHalf(h uint16) float64 {
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	var v float64
	switch exp {
	case 0:
		v = math.Ldexp(mant, -24)
	case 31:
		if mant == 0 {
			v = math.Inf(1)
		} else {
			v = math.NaN()
		}
	default:
		v = math.Ldexp(mant+1024, exp-25)
	}
	if h&0x8000 != 0 {
		return -v
	}
	return v
}

// buildVectors encodes the vector objects and the invalid vectors.
func buildVectors(t testing.TB) Vectors {
	names, objs := vectorObjects(t)
	v := Vectors{
		Comment: "wepipe FORMAT.md test vectors; generated by `go test ./pkg/record -run TestVectors -update`; checked by scripts/check_format.py",
		Version: record.Version,
	}
	addValid := func(name, kind string, b []byte) {
		v.Valid = append(v.Valid, Vector{Name: name, Kind: kind, Diag: diag(t, b), Hex: hex.EncodeToString(b), SHA256: record.Sum(b).String()})
	}
	for _, a := range []struct {
		name string
		a    codec.Array
	}{
		{"array", codec.NewArray([]float64{1.5, -2, 0.1}, 3)},
		{"array-empty", codec.NewArray(nil, 0, 3)},
	} {
		b, err := a.a.MarshalCBOR()
		if err != nil {
			t.Fatal(err)
		}
		addValid(a.name, "array", b)
	}
	enc := map[string][]byte{}
	for i, o := range objs {
		b, _, err := record.Encode(o)
		if err != nil {
			t.Fatal(err)
		}
		enc[names[i]] = b
		addValid(names[i], string(o.ObjectKind()), b)
	}
	v.Invalid = invalidVectors(t, enc)
	return v
}

// renderSection is the test vector section of FORMAT.md, between the
// markers.
func renderSection(v Vectors) string {
	var b strings.Builder
	b.WriteString(beginMarker + "\n")
	b.WriteString("<!-- generated by `go test ./pkg/record -run TestVectors -update` from pkg/record/testdata/vectors.json; do not edit -->\n\n")
	for _, x := range v.Valid {
		fmt.Fprintf(&b, "#### %s (%s)\n\nSHA-256 `%s`\n\n```cbor-diag\n%s\n```\n\n```hex\n%s\n```\n\n", x.Name, x.Kind, x.SHA256, x.Diag, x.Hex)
	}
	b.WriteString("#### Invalid encodings\n\nEach of these is refused by a conforming reader.\n\n")
	for _, x := range v.Invalid {
		fmt.Fprintf(&b, "- `%s`: %s\n\n  ```hex\n  %s\n  ```\n\n", x.Name, x.Reason, x.Hex)
	}
	b.WriteString(endMarker)
	return b.String()
}

func TestVectors(t *testing.T) {
	got := buildVectors(t)
	var buf bytes.Buffer
	je := json.NewEncoder(&buf)
	je.SetEscapeHTML(false)
	je.SetIndent("", "  ")
	if err := je.Encode(got); err != nil {
		t.Fatal(err)
	}
	js := buf.Bytes()
	format, err := os.ReadFile(formatFile)
	if err != nil {
		t.Fatalf("read FORMAT.md: %v", err)
	}
	i, j := bytes.Index(format, []byte(beginMarker)), bytes.Index(format, []byte(endMarker))
	if i < 0 || j < i {
		t.Fatalf("FORMAT.md has no %s … %s section", beginMarker, endMarker)
	}
	section := renderSection(got)
	if *update {
		if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsFile, js, 0o644); err != nil {
			t.Fatal(err)
		}
		out := append(append(append([]byte(nil), format[:i]...), section...), format[j+len(endMarker):]...)
		if err := os.WriteFile(formatFile, out, 0o644); err != nil {
			t.Fatal(err)
		}
		format = out
	}
	file, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatalf("read %s (regenerate with -update): %v", vectorsFile, err)
	}
	if !bytes.Equal(file, js) {
		t.Fatalf("%s is not what this build encodes; if the format changed on purpose, bump record.Version and run go test ./pkg/record -run TestVectors -update", vectorsFile)
	}
	var want Vectors
	if err := json.Unmarshal(file, &want); err != nil {
		t.Fatal(err)
	}
	i, j = bytes.Index(format, []byte(beginMarker)), bytes.Index(format, []byte(endMarker))
	if string(format[i:j+len(endMarker)]) != section {
		t.Errorf("FORMAT.md's test vector section differs from %s (run with -update)", vectorsFile)
	}

	for _, v := range want.Valid {
		t.Run(v.Name, func(t *testing.T) {
			b, err := hex.DecodeString(v.Hex)
			if err != nil {
				t.Fatal(err)
			}
			if h := record.Sum(b).String(); h != v.SHA256 {
				t.Errorf("sha256 %s, file says %s", h, v.SHA256)
			}
			for _, s := range []string{v.Hex, v.SHA256, v.Diag} {
				if !bytes.Contains(format, []byte(s)) {
					t.Errorf("FORMAT.md does not contain %.40q…", s)
				}
			}
			var again []byte
			if v.Kind == "array" {
				var a codec.Array
				if err := codec.Unmarshal(b, &a); err != nil {
					t.Fatalf("decode: %v", err)
				}
				again, err = codec.Marshal(a)
			} else {
				o, err := record.Decode(b)
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if string(o.ObjectKind()) != v.Kind {
					t.Fatalf("kind %s, want %s", o.ObjectKind(), v.Kind)
				}
				if k, err := record.Peek(b); err != nil || string(k) != v.Kind {
					t.Fatalf("Peek = %s, %v", k, err)
				}
				var h record.Hash
				again, h, err = record.Encode(o)
				if err == nil && h.String() != v.SHA256 {
					t.Errorf("Encode hash %s, want %s", h, v.SHA256)
				}
			}
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b)
			}
		})
	}
	for _, v := range want.Invalid {
		t.Run("invalid/"+v.Name, func(t *testing.T) {
			b, err := hex.DecodeString(v.Hex)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(format, []byte(v.Hex)) {
				t.Errorf("FORMAT.md does not contain the hex of %s", v.Name)
			}
			if o, err := record.Decode(b); err == nil {
				t.Fatalf("Decode accepted %s: %+v", v.Name, o)
			} else {
				t.Logf("refused: %v", err)
			}
		})
	}
}

// TestVectorsReferences checks that the vectors form a closed miniature
// store: every reference of every record is another vector of the right
// kind, listed before it (the write order of FORMAT.md §Store).
func TestVectorsReferences(t *testing.T) {
	names, objs := vectorObjects(t)
	seen := map[record.Hash]record.Kind{}
	for i, o := range objs {
		for _, r := range o.Refs() {
			if _, ok := seen[r]; !ok {
				t.Errorf("%s references %s, not written before it", names[i], r.Short())
			}
		}
		_, h, err := record.Encode(o)
		if err != nil {
			t.Fatal(err)
		}
		seen[h] = o.ObjectKind()
	}
}
