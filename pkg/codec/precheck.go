package codec

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// The decoder allocates a slice or a map for every element an array or a
// map declares before it decodes the first of them: 2^26 one-byte items
// declared where walkers belong would become 2^26 walker structures (88
// bytes each) before the type error is found (FORMAT.md §7). Unmarshal
// therefore walks the data once first, guided by the Go type it decodes
// into, and refuses an array or map that declares more elements than the
// bytes left could encode: every value of a type takes at least its
// minimum encoded size (minSize), once the struct maps in it hold their
// required fields, which the walk checks too. So a record never makes the
// decoder allocate more than a small multiple of its own size (16 bytes
// per encoded byte for a list of one-byte texts, the worst case), and a
// missing field is named as such rather than found by the canonical check.
// The walk only reads: anything it does not understand (malformed data,
// indefinite lengths, a value of another type than the field's) it leaves
// to the decoder, which refuses it with its own message.

// ErrMissingField reports a struct map without one of its required fields
// (a field without omitempty). It is also an ErrNonCanonical: the canonical
// encoding writes every required field (FORMAT.md §2 rule 9).
var ErrMissingField = errors.New("missing field")

// ErrTooManyElements reports an array or map that declares more elements
// than the rest of the data can hold.
var ErrTooManyElements = errors.New("more elements declared than the data holds")

// fieldError is a problem found by the walk, with the path of the value
// it was found in (built as the walk unwinds).
type fieldError struct {
	path []string // innermost last
	msg  string
	kind error
}

func (e *fieldError) Error() string {
	if len(e.path) == 0 {
		return e.msg
	}
	var b strings.Builder
	for i, p := range e.path {
		if i > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String() + ": " + e.msg
}

func (e *fieldError) Is(target error) bool {
	return target == e.kind || e.kind == ErrMissingField && target == ErrNonCanonical
}

// within adds the path segment seg (a field name or "[i]") in front.
func within(err error, seg string) error {
	if fe, ok := err.(*fieldError); ok {
		fe.path = append([]string{seg}, fe.path...)
	}
	return err
}

// errLeave stops the walk: what follows is for the decoder to judge.
var errLeave = errors.New("left to the decoder")

type shapeKind uint8

const (
	opaque   shapeKind = iota // anything: walked generically
	scalar                    // a number, a text, bytes: one item, no allocation per element
	sliceOf                   // a slice of elem
	mapOf                     // a map of key to elem
	structOf                  // a struct of fields
)

// shape is what the walk needs to know about a Go type.
type shape struct {
	kind     shapeKind
	elem     *shape // sliceOf, mapOf
	key      *shape // mapOf
	fields   []fieldShape
	required int
	min      uint64 // minimum encoded size of a value the walk accepts
}

type fieldShape struct {
	name     string
	s        *shape
	required bool
}

var (
	shapes       sync.Map // reflect.Type → *shape
	unmarshalerT = reflect.TypeFor[cbor.Unmarshaler]()
	opaqueShape  = &shape{kind: opaque, min: 1}
)

// shapeOf returns the shape of t, built once.
func shapeOf(t reflect.Type) *shape {
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	s := buildShape(t, map[reflect.Type]bool{})
	shapes.Store(t, s)
	return s
}

func buildShape(t reflect.Type, building map[reflect.Type]bool) *shape {
	if building[t] || reflect.PointerTo(t).Implements(unmarshalerT) || t.Implements(unmarshalerT) {
		// A recursive type, or one that decodes itself (Array): walked
		// generically; its own decoder bounds what it allocates.
		return opaqueShape
	}
	building[t] = true
	defer delete(building, t)
	switch t.Kind() {
	case reflect.Pointer:
		return buildShape(t.Elem(), building)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return &shape{kind: scalar, min: 1}
		}
		return &shape{kind: sliceOf, elem: buildShape(t.Elem(), building), min: 1}
	case reflect.Map:
		return &shape{kind: mapOf, key: buildShape(t.Key(), building), elem: buildShape(t.Elem(), building), min: 1}
	case reflect.Struct:
		s := &shape{kind: structOf, min: 1}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("cbor"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fs := fieldShape{name: name, s: buildShape(f.Type, building), required: !strings.Contains(","+opts+",", ",omitempty,")}
			if fs.required {
				s.required++
				// The key (a text head and the name) and the value.
				s.min += uint64(len(appendHead(nil, majText, uint64(len(name))))+len(name)) + fs.s.min
			}
			s.fields = append(s.fields, fs)
		}
		return s
	case reflect.Interface:
		return opaqueShape
	}
	return &shape{kind: scalar, min: 1}
}

// precheck walks data as a value of type t (see the comment at the top).
func precheck(data []byte, t reflect.Type) error {
	w := walker{b: data}
	err := w.item(shapeOf(t), 0)
	if err == errLeave {
		return nil
	}
	return err
}

type walker struct{ b []byte }

// head reads a data item's head. Non-shortest heads are accepted (the
// canonical check refuses them); indefinite lengths and reserved values
// are left to the decoder.
func (w *walker) head() (major byte, arg uint64, err error) {
	if len(w.b) == 0 {
		return 0, 0, errLeave
	}
	major, ai := w.b[0]>>5, w.b[0]&31
	w.b = w.b[1:]
	switch {
	case ai < 24:
		return major, uint64(ai), nil
	case ai <= 27:
		n := 1 << (ai - 24)
		if len(w.b) < n {
			return 0, 0, errLeave
		}
		for _, c := range w.b[:n] {
			arg = arg<<8 | uint64(c)
		}
		w.b = w.b[n:]
		return major, arg, nil
	}
	return 0, 0, errLeave
}

// count checks that n elements of minimum size min each fit in the bytes
// left.
func (w *walker) count(n, min uint64, what string) error {
	if min == 0 {
		min = 1
	}
	if n > uint64(len(w.b))/min {
		return &fieldError{msg: fmt.Sprintf("%s of %d elements declared, but only %d bytes follow", what, n, len(w.b)), kind: ErrTooManyElements}
	}
	return nil
}

// item walks one data item that decodes into a value of shape s.
func (w *walker) item(s *shape, depth int) error {
	if depth > MaxNestedLevels {
		return errLeave
	}
	major, arg, err := w.head()
	if err != nil {
		return err
	}
	switch major {
	case 0, 1, 7:
		return nil
	case 2, 3:
		if arg > uint64(len(w.b)) {
			return errLeave
		}
		w.b = w.b[arg:]
		return nil
	case 6:
		return w.item(s, depth)
	case 4:
		elem := opaqueShape
		if s.kind == sliceOf {
			elem = s.elem
		}
		if err := w.count(arg, elem.min, "array"); err != nil {
			return err
		}
		for i := uint64(0); i < arg; i++ {
			if err := w.item(elem, depth+1); err != nil {
				return within(err, "["+strconv.FormatUint(i, 10)+"]")
			}
		}
		return nil
	}
	// A map.
	if s.kind == structOf {
		return w.structMap(s, arg, depth)
	}
	key, elem := opaqueShape, opaqueShape
	if s.kind == mapOf {
		key, elem = s.key, s.elem
	}
	if err := w.count(arg, key.min+elem.min, "map"); err != nil {
		return err
	}
	for i := uint64(0); i < arg; i++ {
		if err := w.item(key, depth+1); err != nil {
			return err
		}
		if err := w.item(elem, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// structMap walks the n pairs of a map that decodes into a struct, and
// refuses an unknown field or a missing required one.
func (w *walker) structMap(s *shape, n uint64, depth int) error {
	if err := w.count(n, 2, "map"); err != nil {
		return err
	}
	var seen uint64 // bit i: required field i seen (records have fewer than 64 fields)
	unknown := ""
	for i := uint64(0); i < n; i++ {
		major, klen, err := w.head()
		if err != nil {
			return err
		}
		if major != 3 || klen > uint64(len(w.b)) {
			return errLeave // not a field name: the decoder says what it is
		}
		name := w.b[:klen]
		w.b = w.b[klen:]
		var f *fieldShape
		req := 0
		for j := range s.fields {
			if s.fields[j].name == string(name) {
				f = &s.fields[j]
				break
			}
			if s.fields[j].required {
				req++
			}
		}
		if f == nil {
			if unknown == "" {
				unknown = string(name)
			}
			if err := w.item(opaqueShape, depth+1); err != nil {
				return err
			}
			continue
		}
		if f.required && req < 64 {
			seen |= 1 << req
		}
		if err := w.item(f.s, depth+1); err != nil {
			return within(err, f.name)
		}
	}
	if unknown != "" {
		return &fieldError{msg: fmt.Sprintf("unknown field %q", unknown)}
	}
	req := 0
	for _, f := range s.fields {
		if !f.required {
			continue
		}
		if req < 64 && seen&(1<<req) == 0 {
			return &fieldError{msg: fmt.Sprintf("missing field %q", f.name), kind: ErrMissingField}
		}
		req++
	}
	return nil
}
