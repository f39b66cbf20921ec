package system

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// Every built-in system builds with its defaults, and its records are
// valid; the values of ARCHITECTURE.md §6 are the defaults.
func TestBuiltins(t *testing.T) {
	for _, name := range Names() {
		b, err := Builtins[name].Build(nil)
		if name == "lj-fluid" {
			b, err = Builtins[name].Build([]string{"n=256"})
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := b.System.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(b.States) != len(b.System.Initial) || len(b.States) == 0 {
			t.Errorf("%s: %d states for %d initial entries", name, len(b.States), len(b.System.Initial))
		}
	}
	b, _ := Builtins["lj-pair"].Build(nil)
	s := b.System
	if s.Particles.Masses.Data[0] != 39.9 || s.Integrator.Temperature != 300 || s.Integrator.Friction != 1 || s.Integrator.Timestep != 0.002 {
		t.Errorf("lj-pair parameters: %+v %+v", s.Particles.Masses.Data, s.Integrator)
	}
	if p := s.Potential[0].Params; p["sigma"] != 0.3350 || p["epsilon"] != 41.84 {
		t.Errorf("lj-pair LJ parameters %v", p)
	}
	// The pair starts at the LJ minimum 2^(1/6)σ with zero velocity and
	// energy −ε.
	st := b.States[0]
	if r := st.Obs["r"]; math.Abs(r-math.Pow(2, 1.0/6)*0.3350) > 1e-15 {
		t.Errorf("initial r = %v", r)
	}
	if math.Abs(st.Potential+41.84) > 1e-9 || st.Kinetic != 0 {
		t.Errorf("initial energies %v, %v", st.Potential, st.Kinetic)
	}
	dw, _ := Builtins["double-well"].Build(nil)
	if x := dw.States[0].Obs["x"]; x != -0.5 || dw.System.Integrator.Friction != 10 || dw.System.Particles.Masses.Data[0] != 10 {
		t.Errorf("double-well: x %v, %+v", x, dw.System.Integrator)
	}
}

func TestParseSet(t *testing.T) {
	params := Builtins["lj-pair"].Params
	p, err := ParseSet(params, []string{"friction=200", " sigma = 0.3"})
	if err != nil || p["friction"] != 200 || p["sigma"] != 0.3 || p["epsilon"] != 41.84 {
		t.Fatalf("ParseSet: %v, %v", p, err)
	}
	for _, bad := range []string{"nope=1", "friction", "friction=abc", "friction=NaN", "friction=Inf"} {
		_, err := ParseSet(params, []string{bad})
		if se := (*SetError)(nil); !errors.As(err, &se) {
			t.Errorf("--set %s: %v, want a *SetError", bad, err)
			continue
		}
		if strings.HasPrefix(bad, "nope") && !strings.Contains(err.Error(), "valid: mass, sigma, epsilon, temperature, friction, timestep") {
			t.Errorf("unknown key: %v does not list the valid keys", err)
		}
	}
	if _, err := ParseSet(Builtins["lj-fluid"].Params, []string{"n=2.5"}); err == nil {
		t.Error("n=2.5: no error")
	}
}

// Errors in system files name the field.
func TestFromJSONErrors(t *testing.T) {
	const good = `{"name": "pair",
	 "particles": [{"name": "A", "mass": 39.9}, {"name": "B", "mass": 39.9}],
	 "potential": [{"type": "lj", "params": {"sigma": 0.335, "epsilon": 41.84}}],
	 "integrator": {"temperature": 300, "friction": 1, "timestep": 0.002},
	 "observables": [{"name": "r", "type": "distance", "atoms": [0, 1]}],
	 "initial": [{"positions": [[0, 0, 0], [0.376, 0, 0]]}]}`
	b, err := FromJSON(strings.NewReader(good), []string{"temperature=250"})
	if err != nil {
		t.Fatal(err)
	}
	if b.System.Integrator.Temperature != 250 {
		t.Errorf("--set temperature: %v", b.System.Integrator.Temperature)
	}
	for _, tc := range []struct{ from, to, want string }{
		{`"name": "pair"`, `"name": "pair", "colour": 1`, "colour"},
		{`"mass": 39.9}, {"name": "B"`, `"mass": "heavy"}, {"name": "B"`, "mass"},
		{`"atoms": [0, 1]`, `"atoms": [0, 7]`, "atom 7"},
		{`"type": "lj"`, `"type": "ljx"`, "ljx"},
		{`[0.376, 0, 0]`, `[0.376, 0]`, "initial[0].positions[1]"},
		{`"mass": 39.9}, {"name": "B"`, `"mass": -1}, {"name": "B"`, "particles[0].mass"},
		{`"timestep": 0.002`, `"timestep": 0`, "timestep"},
	} {
		src := strings.Replace(good, tc.from, tc.to, 1)
		if src == good {
			t.Fatalf("case %q does not apply", tc.from)
		}
		_, err := FromJSON(strings.NewReader(src), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s → %v, want an error naming %q", tc.to, err, tc.want)
		}
	}
}
