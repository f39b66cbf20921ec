package warp

import (
	"math"
	"testing"

	"github.com/wepipe/wepipe/pkg/rng"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Cond
		bad  bool
	}{
		{in: "r>=1.0", want: Cond{"r", ">=", 1}},
		{in: " r >= 1e-1 ", want: Cond{"r", ">=", 0.1}},
		{in: "x<-0.3", want: Cond{"x", "<", -0.3}},
		{in: "x<=0", want: Cond{"x", "<=", 0}},
		{in: "d>2", want: Cond{"d", ">", 2}},
		{in: "r", bad: true},
		{in: ">=1", bad: true},
		{in: "r>=abc", bad: true},
		{in: "r>=NaN", bad: true},
		{in: "r;rm -rf />=1", bad: true},
		{in: "r==1", bad: true},
	} {
		got, err := Parse(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestApply(t *testing.T) {
	c1, _ := Parse("r>=1.0")
	c2, _ := Parse("r<0.2")
	obs := []map[string]float64{{"r": 0.5}, {"r": 1.0}, {"r": 0.1}, {"r": 2}}
	hits, err := Apply(obs, []Cond{c1, c2}, []float64{1}, rng.New([32]byte{}))
	if err != nil {
		t.Fatal(err)
	}
	want := []Hit{{1, 0, 0}, {2, 0, 1}, {3, 0, 0}}
	if len(hits) != len(want) {
		t.Fatalf("hits %v, want %v", hits, want)
	}
	for i := range want {
		if hits[i] != want[i] {
			t.Errorf("hit %d = %v, want %v", i, hits[i], want[i])
		}
	}
	if _, err := Apply([]map[string]float64{{"x": 1}}, []Cond{c1}, []float64{1}, nil); err == nil {
		t.Error("missing observable: no error")
	}
	if _, err := Apply([]map[string]float64{{"r": math.NaN()}}, []Cond{c1}, []float64{1}, nil); err == nil {
		t.Error("NaN observable: no error")
	}
}

// TestMetBoundaries: every comparison just below, at and just above its
// value, so that ≥ written as > (or < as ≤) is seen.
func TestMetBoundaries(t *testing.T) {
	below, above := math.Nextafter(1, 0), math.Nextafter(1, 2)
	for _, tc := range []struct {
		op   string
		want [3]bool // below, at, above
	}{
		{">=", [3]bool{false, true, true}},
		{">", [3]bool{false, false, true}},
		{"<=", [3]bool{true, true, false}},
		{"<", [3]bool{true, false, false}},
	} {
		c, err := Parse("r" + tc.op + "1")
		if err != nil || c.Op != tc.op {
			t.Fatalf("Parse(r%s1) = %+v, %v", tc.op, c, err)
		}
		for i, x := range []float64{below, 1, above} {
			if got, err := c.Met(map[string]float64{"r": x}); err != nil || got != tc.want[i] {
				t.Errorf("r%s1 at r = %v: %v, %v; want %v", tc.op, x, got, err, tc.want[i])
			}
		}
	}
}

// With two initial states of weights 1 and 3, targets are drawn 1:3.
func TestApplyTargetsByWeight(t *testing.T) {
	c, _ := Parse("r>0")
	obs := make([]map[string]float64, 4000)
	for i := range obs {
		obs[i] = map[string]float64{"r": 1}
	}
	hits, err := Apply(obs, []Cond{c}, []float64{1, 3}, rng.New([32]byte{1}))
	if err != nil {
		t.Fatal(err)
	}
	n1 := 0
	for _, h := range hits {
		n1 += h.Target
	}
	// Binomial(4000, 3/4): mean 3000, σ ≈ 27; ±5σ.
	if n1 < 3000-137 || n1 > 3000+137 {
		t.Errorf("target 1 drawn %d times of 4000, want about 3000", n1)
	}
}
