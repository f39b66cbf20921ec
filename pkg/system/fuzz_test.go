package system

import (
	"runtime"
	"strings"
	"testing"
)

// FuzzFromJSON checks the system file decoder on any bytes: it never
// panics, allocates in proportion to its input, and a file it accepts
// builds a system record that validates.
func FuzzFromJSON(f *testing.F) {
	f.Add([]byte(`{"name": "pair",
	 "particles": [{"name": "A", "mass": 39.9}, {"name": "B", "mass": 39.9}],
	 "potential": [{"type": "lj", "params": {"sigma": 0.335, "epsilon": 41.84}}],
	 "integrator": {"temperature": 300, "friction": 1, "timestep": 0.002},
	 "observables": [{"name": "r", "type": "distance", "atoms": [0, 1]}],
	 "initial": [{"positions": [[0, 0, 0], [0.376, 0, 0]]}]}`))
	f.Add([]byte(`{"name": "x"}`))
	f.Add([]byte("\x00\x00"))
	f.Add([]byte(strings.Repeat("[", 100)))
	f.Fuzz(func(t *testing.T, b []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		built, err := FromJSON(strings.NewReader(string(b)), nil)
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20+uint64(2048*len(b)) {
			t.Fatalf("decoding %d bytes allocated %d", len(b), got)
		}
		if err != nil {
			return
		}
		if err := built.System.Validate(); err != nil {
			t.Fatalf("an accepted file builds an invalid system: %v", err)
		}
	})
}
