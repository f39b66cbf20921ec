package exec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/system"
)

// TestFraming: a message is its length in 4 big-endian bytes and its
// deterministic CBOR; reading stops cleanly at the end of input, and
// lengths out of range or a short body are errors.
func TestFraming(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMessage(&b, Ready{Type: TypeReady, Protocol: 1, Engine: "x"}); err != nil {
		t.Fatal(err)
	}
	// 31 bytes: a map of 3 pairs, keys in deterministic order (FORMAT.md §2).
	want := "0000001f" + "a3" + "6474797065" + "657265616479" + "66656e67696e65" + "6178" + "6870726f746f636f6c" + "01"
	if got := bytesHex(b.Bytes()); got != want {
		t.Errorf("frame %s, want %s", got, want)
	}
	m, err := ReadMessage(&b)
	if err != nil {
		t.Fatal(err)
	}
	var r Ready
	if err := codec.Unmarshal(m, &r); err != nil || r.Engine != "x" || r.Protocol != 1 {
		t.Errorf("%+v, %v", r, err)
	}
	if _, err := ReadMessage(&b); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
	for _, c := range []struct {
		name string
		in   []byte
		want error
	}{
		{"zero length", []byte{0, 0, 0, 0}, ErrFrame},
		{"over 1 GiB", []byte{0x40, 0, 0, 1}, ErrFrame},
		{"short length", []byte{0, 0}, io.ErrUnexpectedEOF},
		{"short body", []byte{0, 0, 0, 9, 0xa1}, io.ErrUnexpectedEOF},
	} {
		if _, err := ReadMessage(bytes.NewReader(c.in)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func bytesHex(b []byte) string {
	const hexd = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(hexd[c>>4])
		sb.WriteByte(hexd[c&15])
	}
	return sb.String()
}

// TestFramingRoundTrip: whatever a message holds, reading returns the
// bytes written.
func TestFramingRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		msgs := rapid.SliceOfN(rapid.MapOf(rapid.String(), rapid.Float64()), 1, 5).Draw(t, "msgs")
		var b bytes.Buffer
		var want [][]byte
		for _, m := range msgs {
			enc, err := codec.Marshal(m)
			if err != nil {
				t.Skip(err)
			}
			want = append(want, enc)
			if err := WriteMessage(&b, m); err != nil {
				t.Fatal(err)
			}
		}
		for i := range want {
			got, err := ReadMessage(&b)
			if err != nil || !bytes.Equal(got, want[i]) {
				t.Fatalf("message %d: %x, %v", i, got, err)
			}
		}
		if _, err := ReadMessage(&b); err != io.EOF {
			t.Fatalf("after the last: %v", err)
		}
	})
}

// TestTail: the tail keeps the last lines of what was written, whatever
// the sizes of the writes.
func TestTail(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lines := rapid.SliceOf(rapid.StringMatching(`[a-z ]{0,40}`)).Draw(t, "lines")
		text := strings.Join(lines, "\n")
		var tl tail
		for rest := []byte(text); len(rest) > 0; {
			n := rapid.IntRange(1, 50).Draw(t, "chunk")
			n = min(n, len(rest))
			tl.Write(rest[:n])
			rest = rest[n:]
		}
		got := tl.String()
		trimmed := strings.TrimRight(text, "\n\r\t ")
		if trimmed == "" {
			if got != "" {
				t.Fatalf("%q from nothing", got)
			}
			return
		}
		all := strings.Split(trimmed, "\n")
		if len(all) > tailLines {
			all = all[len(all)-tailLines:]
		}
		if want := "\n    " + strings.Join(all, "\n    "); got != want {
			t.Fatalf("tail %q, want %q", got, want)
		}
	})
	var tl tail
	tl.Write(bytes.Repeat([]byte("x"), 3*tailBytes))
	tl.Write([]byte("\nlast line\n"))
	if s := tl.String(); !strings.HasSuffix(s, "\n    last line") || len(tl.buf) > tailBytes {
		t.Errorf("after 48 KiB: %d bytes kept, ends %q", len(tl.buf), s[len(s)-20:])
	}
}

// pairCommon is the checks of an engine's answers for the lj-pair.
func pairCommon(t testing.TB) (*common, engine.State) {
	built, err := system.Builtins["lj-pair"].Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := system.Compile(built.System)
	if err != nil {
		t.Fatal(err)
	}
	return &common{cfg: Config{Command: []string{"x"}}, sys: comp.Engine, rec: built.System, n: 2}, comp.EngineState(built.States[0])
}

// TestOutput: what an engine returns is checked before anything is made
// of it, and wepipe sets step, time and observables itself.
func TestOutput(t *testing.T) {
	c, in := pairCommon(t)
	good := func() *OutState {
		return &OutState{Positions: codec.NewArray([]float64{0, 0, 0, 0.4, 0, 0}, 2, 3), Velocities: codec.NewArray(make([]float64, 6), 2, 3), Potential: -40, Kinetic: 1}
	}
	req := engine.Request{Steps: 10, Rand: rng.New([32]byte{})}
	out, fr, err := c.output(in, req, good(), nil, map[string]float64{"q": 0.5})
	if err != nil || fr != nil {
		t.Fatal(err)
	}
	if out.Step != 10 || math.Abs(out.Time-0.02) > 1e-15 || math.Abs(out.Obs[0]-0.4) > 1e-15 || out.EngineObs["q"] != 0.5 {
		t.Errorf("%+v", out)
	}
	nan := math.NaN()
	for _, c2 := range []struct {
		name   string
		mod    func(*OutState)
		frames *codec.Array
		obs    map[string]float64
		frN    int
		want   string
	}{
		{"atoms", func(s *OutState) { s.Positions = codec.NewArray([]float64{0, 0, 0}, 1, 3) }, nil, nil, 0, "positions: 1 atoms, the system has 2"},
		{"shape", func(s *OutState) { s.Velocities = codec.NewArray(make([]float64, 6), 6) }, nil, nil, 0, "velocities: shape [6], want [2, 3]"},
		{"nan", func(s *OutState) { s.Velocities.Data[4] = nan }, nil, nil, 0, "velocities: atom 1 is not finite"},
		{"inf", func(s *OutState) { s.Potential = math.Inf(1) }, nil, nil, 0, "energies not finite"},
		{"box", func(s *OutState) { s.Box = []float64{1, 0, 1} }, nil, nil, 0, "box [1 0 1]"},
		{"obs clash", func(*OutState) {}, nil, map[string]float64{"r": 1}, 0, `obs "r": the system computes this observable itself`},
		{"obs nan", func(*OutState) {}, nil, map[string]float64{"q": nan}, 0, `obs "q"`},
		{"frames unasked", func(*OutState) {}, ptr(codec.NewArray(make([]float64, 6), 1, 2, 3)), nil, 0, "frames sent, none asked for"},
		{"frames missing", func(*OutState) {}, nil, nil, 2, "no frames, 2 asked for"},
		{"frames shape", func(*OutState) {}, ptr(codec.NewArray(make([]float64, 6), 1, 2, 3)), nil, 2, "frames: shape [1 2 3], want [2, 2, 3]"},
		{"frames nan", func(*OutState) {}, ptr(codec.NewArray([]float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, nan, 0}, 2, 2, 3)), nil, 2, "frames: frame 1, atom 1 is not finite"},
	} {
		s := good()
		c2.mod(s)
		r := req
		r.Frames = c2.frN
		if _, _, err := c.output(in, r, s, c2.frames, c2.obs); err == nil || !strings.Contains(err.Error(), c2.want) {
			t.Errorf("%s: %v, want %q", c2.name, err, c2.want)
		}
	}
	// Frames: steps ⌊k·S/F⌋, times, observables.
	frames := codec.NewArray([]float64{0, 0, 0, 0.38, 0, 0, 0, 0, 0, 0.39, 0, 0, 0, 0, 0, 0.4, 0, 0}, 3, 2, 3)
	r := req
	r.Frames = 3
	_, fr, err = c.output(in, r, good(), &frames, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range []struct {
		step uint64
		r    float64
	}{{3, 0.38}, {6, 0.39}, {10, 0.4}} {
		if fr[k].Step != want.step || math.Abs(fr[k].Time-float64(want.step)*0.002) > 1e-15 || math.Abs(fr[k].Obs[0]-want.r) > 1e-15 {
			t.Errorf("frame %d: %+v", k, fr[k])
		}
	}
}

func ptr[T any](v T) *T { return &v }

// FuzzReply: no answer an engine can send makes wepipe panic, and an
// answer that passes the checks gives a state record that is valid.
func FuzzReply(f *testing.F) {
	c, in := pairCommon(f)
	var b bytes.Buffer
	st := &OutState{Positions: codec.NewArray([]float64{0, 0, 0, 0.4, 0, 0}, 2, 3), Velocities: codec.NewArray(make([]float64, 6), 2, 3), Potential: -40, Kinetic: 1}
	WriteMessage(&b, Reply{Type: TypeResult, State: st})
	f.Add(b.Bytes())
	b.Reset()
	WriteMessage(&b, Reply{Type: TypeError, Message: "no"})
	f.Add(b.Bytes())
	f.Add([]byte{0, 0, 0, 3, 0xa1, 0xff, 0})
	hdr := binary.BigEndian.AppendUint32(nil, 1<<31)
	f.Add(hdr)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadMessage(bytes.NewReader(data))
		if err != nil {
			return
		}
		rep, err := decodeReply(m)
		if err != nil || rep.Type != TypeResult {
			return
		}
		frames := 0
		if rep.Frames != nil && len(rep.Frames.Shape) > 0 && rep.Frames.Shape[0] <= 10 {
			frames = rep.Frames.Shape[0]
		}
		out, _, err := c.output(in, engine.Request{Steps: 10, Frames: frames, Rand: rng.New([32]byte{})}, rep.State, rep.Frames, rep.Obs)
		if err != nil {
			return
		}
		comp, err := system.Compile(c.rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := record.Encode(comp.StateRecord(out)); err != nil {
			t.Fatalf("an accepted answer makes an invalid state: %v", err)
		}
	})
}
