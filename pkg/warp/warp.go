// Package warp implements boundary conditions (ARCHITECTURE.md §7): a walker that
// meets a condition on its observables is returned to an initial state of
// the system and keeps its weight. The weight that reaches the target per
// cycle is the flux whose average gives the rate, and 1/MFPT through the
// Hill relation (Hill, "Free Energy Transduction in Biology", 1977;
// Suárez et al., JCTC 10, 2658 (2014)).
//
// Conditions are parsed, never evaluated by a shell: OBS OP VALUE with OP
// one of >=, >, <=, <.
package warp

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/pkg/rng"
)

// Cond is one warping condition.
type Cond struct {
	Obs   string
	Op    string
	Value float64
}

func (c Cond) String() string {
	return c.Obs + c.Op + strconv.FormatFloat(c.Value, 'g', -1, 64)
}

// Parse parses a condition such as "r>=1.0" (spaces allowed).
func Parse(s string) (Cond, error) {
	t := strings.TrimSpace(s)
	for _, op := range []string{">=", "<=", ">", "<"} {
		if i := strings.Index(t, op); i >= 0 {
			name := strings.TrimSpace(t[:i])
			val := strings.TrimSpace(t[i+len(op):])
			if name == "" || strings.ContainsAny(name, "<>=! \t") {
				return Cond{}, fmt.Errorf("warp condition %q: want OBS>=VALUE (or >, <=, <)", s)
			}
			v, err := strconv.ParseFloat(val, 64)
			if err != nil || math.IsNaN(v) {
				return Cond{}, fmt.Errorf("warp condition %q: %q is not a number", s, val)
			}
			return Cond{Obs: name, Op: op, Value: v}, nil
		}
	}
	return Cond{}, fmt.Errorf("warp condition %q: no comparison (want OBS>=VALUE, >, <= or <)", s)
}

// Met reports whether the observables meet the condition. A missing or NaN
// observable is an error.
func (c Cond) Met(obs map[string]float64) (bool, error) {
	x, ok := obs[c.Obs]
	if !ok {
		return false, fmt.Errorf("no observable %q", c.Obs)
	}
	if math.IsNaN(x) {
		return false, fmt.Errorf("observable %s is NaN", c.Obs)
	}
	switch c.Op {
	case ">=":
		return x >= c.Value, nil
	case ">":
		return x > c.Value, nil
	case "<=":
		return x <= c.Value, nil
	case "<":
		return x < c.Value, nil
	}
	return false, fmt.Errorf("unknown comparison %q", c.Op)
}

// Hit is one warped walker.
type Hit struct {
	Walker int
	Target int // index of the initial state drawn
	Cond   int // index of the first condition met
}

// Apply returns the walkers that meet any condition and, for each, the
// initial state it is returned to, drawn with probability proportional to
// the initial states' weights (one draw per warped walker, in walker
// order; no draw when there is one initial state).
func Apply(obs []map[string]float64, conds []Cond, initial []float64, r *rng.Stream) ([]Hit, error) {
	var hits []Hit
	for i, o := range obs {
		for j, c := range conds {
			met, err := c.Met(o)
			if err != nil {
				return nil, fmt.Errorf("walker %d: warp %s: %w", i, c, err)
			}
			if met {
				t := 0
				if len(initial) > 1 {
					t = r.Choice(initial)
				}
				hits = append(hits, Hit{Walker: i, Target: t, Cond: j})
				break
			}
		}
	}
	return hits, nil
}
