package system

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
)

// FileParams are the --set keys of a system read from a JSON file.
var FileParams = []Param{
	{Name: "temperature", Unit: "K", Doc: "thermostat temperature"},
	{Name: "friction", Unit: "1/ps", Doc: "Langevin friction γ"},
	{Name: "timestep", Unit: "ps", Doc: "integration time step"},
}

// MaxJSONSize bounds a system file (FORMAT.md §7): 1 GiB.
const MaxJSONSize = 1 << 30

// FromJSON reads a system file (the Spec format, FORMAT.md §System files)
// and applies --set settings for its integrator. Unknown fields are
// errors; messages name the field.
//
// The file is decoded as it is read, never read whole first, so that a
// file that is not JSON (/dev/zero, a binary file, an endless pipe) is
// refused at its first wrong byte, and reading stops at MaxJSONSize bytes
// (a regular file larger than that is refused before it is read).
func FromJSON(r io.Reader, sets []string) (*Built, error) {
	if f, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxJSONSize {
			return nil, fmt.Errorf("%d bytes, over the limit of %d for a system file", st.Size(), MaxJSONSize)
		}
	}
	lr := &lineReader{r: io.LimitReader(r, MaxJSONSize+1)}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	var sp Spec
	err := dec.Decode(&sp)
	if lr.n > MaxJSONSize {
		return nil, fmt.Errorf("more than %d bytes, the limit for a system file", MaxJSONSize)
	}
	if err != nil {
		if isRecordField(err) {
			return nil, fmt.Errorf("this is a system record as we-cat prints it, which names its initial states by hash; write a system file with we-export --system HASH -o FILE")
		}
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return nil, fmt.Errorf("field %s: %s where a %s belongs", te.Field, te.Value, te.Type)
		case errors.As(err, &se):
			return nil, fmt.Errorf("%s: %v", lr.where(se.Offset), se)
		case errors.Is(err, io.EOF):
			return nil, errors.New("empty: no system object")
		}
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the system object")
	}
	if lr.n > MaxJSONSize {
		return nil, fmt.Errorf("more than %d bytes, the limit for a system file", MaxJSONSize)
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

// isRecordField reports whether err is the decoder's refusal of a field
// that we-cat's JSON of a system record has and a system file has not
// ("kind", "hash"): the file is a record, not a system file.
func isRecordField(err error) bool {
	msg := err.Error()
	return msg == `json: unknown field "kind"` || msg == `json: unknown field "hash"`
}

// lineReader counts the bytes and lines it reads and keeps the last
// 64 KiB, so that a syntax error, which the decoder finds at the byte it
// has just read, is given by line without keeping the file.
type lineReader struct {
	r     io.Reader
	n     int64  // bytes read
	lines int    // line feeds before tail
	tail  []byte // the last bytes read, ending at n
}

// keepTail is how much of the end of what was read lineReader keeps.
const keepTail = 64 << 10

func (l *lineReader) Read(p []byte) (int, error) {
	k, err := l.r.Read(p)
	l.n += int64(k)
	chunk := p[:k]
	if len(chunk) >= keepTail {
		l.lines += bytes.Count(l.tail, []byte("\n")) + bytes.Count(chunk[:len(chunk)-keepTail], []byte("\n"))
		l.tail = append(l.tail[:0], chunk[len(chunk)-keepTail:]...)
		return k, err
	}
	l.tail = append(l.tail, chunk...)
	// Trimmed to keepTail once it holds twice that: each byte is copied
	// at most twice.
	if over := len(l.tail) - keepTail; over >= keepTail {
		l.lines += bytes.Count(l.tail[:over], []byte("\n"))
		l.tail = append(l.tail[:0], l.tail[over:]...)
	}
	return k, err
}

// where names the place of byte offset off: its line when it is among
// the bytes kept, else the offset.
func (l *lineReader) where(off int64) string {
	start := l.n - int64(len(l.tail))
	if off < start || off > l.n {
		return fmt.Sprintf("byte %d", off)
	}
	return fmt.Sprintf("line %d", 1+l.lines+bytes.Count(l.tail[:off-start], []byte("\n")))
}
