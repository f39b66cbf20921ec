// Package codec is wepipe's deterministic CBOR (RFC 8949) encoding.
//
// Every record in a store is encoded with fxamacker/cbor's Core
// Deterministic options (RFC 8949 §4.2.1: shortest integer and length
// arguments, map keys sorted by their encoded bytes, shortest float form that
// preserves the value, no indefinite lengths), with nil slices and maps
// written as empty arrays and maps, so that the same value always has the
// same bytes and therefore the same SHA-256 name.
//
// Decoding is strict: duplicate map keys, indefinite lengths, unknown struct
// fields, invalid UTF-8 and excessive nesting are refused, and after a value
// is decoded it is encoded again and must reproduce the input bytes exactly
// (Unmarshal's canonical check). So a decoded record always re-encodes to the
// bytes that named it.
//
// Bulk float arrays are RFC 8746 typed arrays: tag 86 (IEEE 754 binary64,
// little endian) around a byte string, next to their shape (type Array).
package codec

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// Limits that bound the memory a hostile object can make a reader allocate.
const (
	MaxArrayElements = 1 << 26 // elements of one CBOR array (not typed arrays)
	MaxMapPairs      = 1 << 20
	MaxNestedLevels  = 24
)

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
	// hdrMode decodes only the common header and ignores other fields.
	hdrMode cbor.DecMode
)

func init() {
	var err error
	enc := cbor.CoreDetEncOptions()
	// A nil slice or map encodes as an empty array or map, never as null:
	// a record has one encoding however it was built (nil or empty), and
	// null is not a valid value of any record field.
	enc.NilContainers = cbor.NilContainerAsEmpty
	encMode, err = enc.EncMode()
	if err != nil {
		panic(err)
	}
	strict := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		MaxArrayElements:  MaxArrayElements,
		MaxMapPairs:       MaxMapPairs,
		MaxNestedLevels:   MaxNestedLevels,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		IntDec:            cbor.IntDecConvertSignedOrFail,
	}
	decMode, err = strict.DecMode()
	if err != nil {
		panic(err)
	}
	lenient := strict
	lenient.ExtraReturnErrors = cbor.ExtraDecErrorNone
	hdrMode, err = lenient.DecMode()
	if err != nil {
		panic(err)
	}
}

// Marshal returns the deterministic encoding of v. It refuses text that is
// not valid UTF-8 (map keys included): the encoder would write it, but no
// strict reader accepts it, so the object could never be read back.
func Marshal(v any) ([]byte, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := checkText(b); err != nil {
		return nil, err
	}
	return b, nil
}

// checkText walks the data items of a definite-length encoding and checks
// that every text string is valid UTF-8. Byte strings (typed array
// payloads) are skipped, so the cost is one step per data item.
func checkText(b []byte) error {
	for pending := 1; pending > 0; pending-- {
		if len(b) == 0 {
			return errors.New("encode: unexpected end of data")
		}
		major, ai := b[0]>>5, b[0]&31
		var arg uint64
		switch {
		case ai < 24:
			arg, b = uint64(ai), b[1:]
		case ai <= 27:
			n := 1 << (ai - 24)
			if len(b) < 1+n {
				return errors.New("encode: unexpected end of data")
			}
			for _, c := range b[1 : 1+n] {
				arg = arg<<8 | uint64(c)
			}
			b = b[1+n:]
		default:
			return fmt.Errorf("encode: additional information %d", ai)
		}
		switch major {
		case majBytes, majText:
			if arg > uint64(len(b)) {
				return errors.New("encode: unexpected end of data")
			}
			if major == majText && !utf8.Valid(b[:arg]) {
				return fmt.Errorf("encode: text %q is not valid UTF-8", b[:arg])
			}
			b = b[arg:]
		case majArray:
			pending += int(arg)
		case majMap:
			pending += 2 * int(arg)
		case majTag:
			pending++
		}
	}
	return nil
}

// ErrNonCanonical reports bytes that decode but are not the deterministic
// encoding of what they hold.
var ErrNonCanonical = errors.New("not in deterministic CBOR encoding")

// Unmarshal decodes data into v strictly and checks that data is the
// deterministic encoding of the decoded value. Before the decoder runs,
// the data is walked once as a value of v's type (precheck.go): an array
// or map declaring more elements than the data can hold is refused before
// anything is allocated for them, and so are an unknown field and a
// missing required one, each named with its path.
func Unmarshal(data []byte, v any) error {
	if t := reflect.TypeOf(v); t != nil && t.Kind() == reflect.Pointer {
		if err := precheck(data, t.Elem()); err != nil {
			return err
		}
	}
	if err := decMode.Unmarshal(data, v); err != nil {
		return err
	}
	again, err := encMode.Marshal(v)
	if err != nil {
		return fmt.Errorf("re-encode: %w", err)
	}
	if !bytes.Equal(again, data) {
		return ErrNonCanonical
	}
	return nil
}

// UnmarshalStrict decodes data into v with Unmarshal's strict rules
// (duplicate keys, indefinite lengths, unknown fields, invalid UTF-8,
// excessive nesting and trailing bytes are refused) but without the
// canonical check: for messages from other programs (ENGINES.md), whose
// encoders need not be deterministic.
func UnmarshalStrict(data []byte, v any) error {
	return decMode.Unmarshal(data, v)
}

// Header is the part every record shares.
type Header struct {
	Kind    string `cbor:"kind"`
	Version uint64 `cbor:"v"`
}

// DecodeHeader reads kind and version of a record without decoding the rest.
func DecodeHeader(data []byte) (Header, error) {
	var h Header
	err := hdrMode.Unmarshal(data, &h)
	return h, err
}

// Valid reports whether data is one well-formed CBOR data item.
func Valid(data []byte) error {
	return decMode.Wellformed(data)
}

// ToAny decodes data into generic Go values (maps, slices, numbers, byte
// strings, cbor.Tag), for inspection tools.
func ToAny(data []byte) (any, error) {
	var v any
	err := hdrMode.Unmarshal(data, &v)
	return v, err
}
