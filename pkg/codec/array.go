package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// TagFloat64LE is the RFC 8746 tag of a typed array of IEEE 754 binary64
// numbers in little-endian byte order.
const TagFloat64LE = 86

// Array is a dense float64 array with a shape (row-major). It encodes as the
// two-pair map
//
//	{"data": 86(h'<8·n bytes, little endian>'), "shape": [d0, d1, …]}
//
// with the keys in deterministic order ("data" sorts before "shape") and
// Π shape = n. A scalar list of n numbers has shape [n]; positions of n
// atoms have shape [n, 3].
type Array struct {
	Shape []int
	Data  []float64
}

// NewArray returns an Array over data with the given shape; it does not copy.
func NewArray(data []float64, shape ...int) Array {
	return Array{Shape: shape, Data: data}
}

// Len is the product of the shape.
func (a Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// Check reports whether the shape is valid and matches the data.
func (a Array) Check() error {
	if len(a.Shape) == 0 {
		return errors.New("array has no shape")
	}
	n := 1
	for _, d := range a.Shape {
		if d < 0 {
			return fmt.Errorf("array shape %v has a negative dimension", a.Shape)
		}
		if d != 0 && n > math.MaxInt32/d {
			return fmt.Errorf("array shape %v is too large", a.Shape)
		}
		n *= d
	}
	if n != len(a.Data) {
		return fmt.Errorf("array shape %v holds %d values, data has %d", a.Shape, n, len(a.Data))
	}
	return nil
}

// appendHead appends a CBOR head (major type and argument) in shortest form.
func appendHead(b []byte, major byte, arg uint64) []byte {
	m := major << 5
	switch {
	case arg < 24:
		return append(b, m|byte(arg))
	case arg <= math.MaxUint8:
		return append(b, m|24, byte(arg))
	case arg <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(arg))
	case arg <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(arg))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), arg)
}

// readHead reads a CBOR head in shortest form only; it returns the major
// type, the argument and the bytes that follow.
func readHead(b []byte) (major byte, arg uint64, rest []byte, err error) {
	if len(b) == 0 {
		return 0, 0, nil, errors.New("unexpected end of data")
	}
	major, ai := b[0]>>5, b[0]&31
	b = b[1:]
	switch {
	case ai < 24:
		return major, uint64(ai), b, nil
	case ai == 24:
		if len(b) < 1 {
			break
		}
		if b[0] < 24 {
			return 0, 0, nil, ErrNonCanonical
		}
		return major, uint64(b[0]), b[1:], nil
	case ai == 25:
		if len(b) < 2 {
			break
		}
		v := uint64(binary.BigEndian.Uint16(b))
		if v <= math.MaxUint8 {
			return 0, 0, nil, ErrNonCanonical
		}
		return major, v, b[2:], nil
	case ai == 26:
		if len(b) < 4 {
			break
		}
		v := uint64(binary.BigEndian.Uint32(b))
		if v <= math.MaxUint16 {
			return 0, 0, nil, ErrNonCanonical
		}
		return major, v, b[4:], nil
	case ai == 27:
		if len(b) < 8 {
			break
		}
		v := binary.BigEndian.Uint64(b)
		if v <= math.MaxUint32 {
			return 0, 0, nil, ErrNonCanonical
		}
		return major, v, b[8:], nil
	default:
		return 0, 0, nil, fmt.Errorf("unsupported additional information %d", ai)
	}
	return 0, 0, nil, errors.New("unexpected end of data")
}

const (
	majUint  = 0
	majBytes = 2
	majText  = 3
	majArray = 4
	majMap   = 5
	majTag   = 6
)

// MarshalCBOR writes the array directly; a 100,000-atom position array is
// one header and one copy.
func (a Array) MarshalCBOR() ([]byte, error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	n := len(a.Data)
	b := make([]byte, 0, 32+8*n+9*len(a.Shape))
	b = appendHead(b, majMap, 2)
	b = appendHead(b, majText, 4)
	b = append(b, "data"...)
	b = appendHead(b, majTag, TagFloat64LE)
	b = appendHead(b, majBytes, uint64(8*n))
	for _, x := range a.Data {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	b = appendHead(b, majText, 5)
	b = append(b, "shape"...)
	b = appendHead(b, majArray, uint64(len(a.Shape)))
	for _, d := range a.Shape {
		b = appendHead(b, majUint, uint64(d))
	}
	return b, nil
}

// UnmarshalCBOR accepts exactly the form MarshalCBOR writes.
func (a *Array) UnmarshalCBOR(b []byte) error {
	fail := func(what string) error { return fmt.Errorf("typed array: %s", what) }
	expectText := func(b []byte, s string) ([]byte, error) {
		m, n, rest, err := readHead(b)
		if err != nil {
			return nil, err
		}
		if m != majText || n != uint64(len(s)) || uint64(len(rest)) < n || string(rest[:n]) != s {
			return nil, fail(fmt.Sprintf("expected key %q", s))
		}
		return rest[n:], nil
	}
	m, n, b, err := readHead(b)
	if err != nil {
		return err
	}
	if m != majMap || n != 2 {
		return fail("expected a map of data and shape")
	}
	if b, err = expectText(b, "data"); err != nil {
		return err
	}
	m, n, b, err = readHead(b)
	if err != nil {
		return err
	}
	if m != majTag || n != TagFloat64LE {
		return fail("data is not tag 86 (float64, little endian)")
	}
	m, n, b, err = readHead(b)
	if err != nil {
		return err
	}
	if m != majBytes || n%8 != 0 || uint64(len(b)) < n {
		return fail("data is not a byte string of 8-byte floats")
	}
	raw := b[:n]
	b = b[n:]
	if b, err = expectText(b, "shape"); err != nil {
		return err
	}
	m, n, b, err = readHead(b)
	if err != nil {
		return err
	}
	if m != majArray || n == 0 || n > 8 {
		return fail("shape is not an array of 1 to 8 dimensions")
	}
	shape := make([]int, n)
	for i := range shape {
		m, n, b, err = readHead(b)
		if err != nil {
			return err
		}
		if m != majUint || n > math.MaxInt32 {
			return fail("shape holds a value that is not a dimension")
		}
		shape[i] = int(n)
	}
	if len(b) != 0 {
		return fail("trailing bytes")
	}
	data := make([]float64, len(raw)/8)
	for i := range data {
		data[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	out := Array{Shape: shape, Data: data}
	if err := out.Check(); err != nil {
		return err
	}
	*a = out
	return nil
}
