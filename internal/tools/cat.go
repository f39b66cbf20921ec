package tools

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"

	"github.com/fxamacker/cbor/v2"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
)

// Cat is we-cat: print objects as JSON.
func Cat(env *cli.Env, args []string) int {
	return env.Finish(catRun(env, args))
}

func catRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	raw := fs.Bool("cbor", false, "write the canonical CBOR bytes instead of JSON")
	indent := fs.Bool("indent", false, "indent the JSON")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	in, err := env.Inputs(pos)
	if err != nil {
		return err
	}
	if len(in) == 0 {
		return cli.Usagef("no object hash given (as an argument or on stdin)")
	}
	st, err := env.OpenStore(*storeDir)
	if err != nil {
		return err
	}
	for _, arg := range in {
		h, _, err := st.Resolve(arg)
		if err != nil {
			return err
		}
		data, k, err := st.Get(h)
		if err != nil {
			return err
		}
		if _, err := record.Decode(data); err != nil {
			return fmt.Errorf("%s %s: %w", k, h.Short(), err)
		}
		if *raw {
			if _, err := env.Stdout.Write(data); err != nil {
				return err
			}
			continue
		}
		v, err := codec.ToAny(data)
		if err != nil {
			return err
		}
		j := ToJSON(v, "")
		if m, ok := j.(map[string]any); ok {
			m["hash"] = h.String()
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetEscapeHTML(false) // "r>=1.0" stays readable
		if *indent {
			enc.SetIndent("", "  ")
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
}

// ToJSON converts a generic CBOR value into JSON-encodable values: typed
// arrays become (nested, by the shape beside them) lists of numbers, byte
// strings become hex (32-byte ones are hashes), a resampler's nested CBOR
// state is decoded, and non-finite numbers become strings.
func ToJSON(v any, path string) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			ks := fmt.Sprint(k)
			m[ks] = ToJSON(val, path+"."+ks)
		}
		if tag, ok := x["data"].(cbor.Tag); ok && tag.Number == codec.TagFloat64LE {
			if b, ok := tag.Content.([]byte); ok {
				m["data"] = reshape(floats(b), shapeOf(x["shape"]))
			}
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ToJSON(e, path)
		}
		return out
	case []byte:
		if path == ".resampler.state" {
			if inner, err := codec.ToAny(x); err == nil {
				return ToJSON(inner, path+".")
			}
		}
		return hex.EncodeToString(x)
	case cbor.Tag:
		if b, ok := x.Content.([]byte); ok && x.Number == codec.TagFloat64LE {
			return floatsJSON(floats(b))
		}
		return map[string]any{"tag": x.Number, "content": ToJSON(x.Content, path)}
	case float64:
		return jsonFloat(x)
	case float32:
		return jsonFloat(float64(x))
	}
	return v
}

func jsonFloat(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Sprint(x)
	}
	return x
}

func floats(b []byte) []float64 {
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

func floatsJSON(f []float64) []any {
	out := make([]any, len(f))
	for i, x := range f {
		out[i] = jsonFloat(x)
	}
	return out
}

func shapeOf(v any) []int {
	arr, ok := v.([]any)
	if !ok {
		return nil
	}
	var s []int
	for _, e := range arr {
		if u, ok := e.(int64); ok { // codec decodes integers into any as int64 (IntDecConvertSignedOrFail)
			s = append(s, int(u))
		}
	}
	return s
}

func reshape(f []float64, shape []int) any {
	if len(shape) <= 1 {
		return floatsJSON(f)
	}
	inner := 1
	for _, d := range shape[1:] {
		inner *= d
	}
	if inner == 0 || len(f) != inner*shape[0] {
		return floatsJSON(f)
	}
	out := make([]any, shape[0])
	for i := range out {
		out[i] = reshape(f[i*inner:(i+1)*inner], shape[1:])
	}
	return out
}
