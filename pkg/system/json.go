package system

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// FileParams are the --set keys of a system read from a JSON file.
var FileParams = []Param{
	{Name: "temperature", Unit: "K", Doc: "thermostat temperature"},
	{Name: "friction", Unit: "1/ps", Doc: "Langevin friction γ"},
	{Name: "timestep", Unit: "ps", Doc: "integration time step"},
}

// FromJSON reads a system file (the Spec format, FORMAT.md §System files)
// and applies --set settings for its integrator. Unknown fields are
// errors; messages name the field.
func FromJSON(r io.Reader, sets []string) (*Built, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sp Spec
	if err := dec.Decode(&sp); err != nil {
		if isRecordJSON(data) {
			return nil, fmt.Errorf("this is a system record as we-cat prints it, which names its initial states by hash; write a system file with we-export --system HASH -o FILE")
		}
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return nil, fmt.Errorf("field %s: %s where a %s belongs", te.Field, te.Value, te.Type)
		case errors.As(err, &se):
			line := 1 + strings.Count(string(data[:min(int(se.Offset), len(data))]), "\n")
			return nil, fmt.Errorf("line %d: %v", line, se)
		}
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the system object")
	}
	defaults := map[string]float64{"temperature": sp.Integrator.Temperature, "friction": sp.Integrator.Friction, "timestep": sp.Integrator.Timestep}
	params := append([]Param(nil), FileParams...)
	for i := range params {
		params[i].Default = defaults[params[i].Name]
	}
	p, err := ParseSet(params, sets)
	if err != nil {
		return nil, err
	}
	sp.Integrator = Integrator{Temperature: p["temperature"], Friction: p["friction"], Timestep: p["timestep"]}
	for k, v := range map[string]float64(p) {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("integrator.%s: NaN", k)
		}
	}
	if sp.Integrator.Timestep <= 0 {
		return nil, fmt.Errorf("integrator.timestep: %v must be > 0", sp.Integrator.Timestep)
	}
	if len(sets) > 0 {
		if sp.Params == nil {
			sp.Params = map[string]float64{}
		}
		for k, v := range p {
			sp.Params[k] = v
		}
	}
	return sp.Build()
}

// isRecordJSON reports whether data is an object with we-cat's "kind":
// "system" and "hash" fields.
func isRecordJSON(data []byte) bool {
	var head struct {
		Kind string `json:"kind"`
		Hash string `json:"hash"`
	}
	return json.Unmarshal(data, &head) == nil && head.Kind == "system" && head.Hash != ""
}
