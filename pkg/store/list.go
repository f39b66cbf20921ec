package store

import (
	"bytes"
	"slices"

	"github.com/wepipe/wepipe/pkg/record"
)

// hexVal maps a byte to its value as a lowercase hex digit, or 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := byte(0); i < 10; i++ {
		t['0'+i] = i
	}
	for i := byte(0); i < 6; i++ {
		t['a'+i] = 10 + i
	}
	return t
}()

// parseHexName parses an object's file name: exactly 64 lowercase hex
// digits (FORMAT.md §1.1); anything else is not an object name.
func parseHexName(name []byte) (record.Hash, bool) {
	var h record.Hash
	if len(name) != 64 {
		return h, false
	}
	for i := range h {
		hi, lo := hexVal[name[2*i]], hexVal[name[2*i+1]]
		if hi > 15 || lo > 15 {
			return h, false
		}
		h[i] = hi<<4 | lo
	}
	return h, true
}

// compareHash orders hashes as their hex names sort.
func compareHash(a, b record.Hash) int { return bytes.Compare(a[:], b[:]) }

// sortHashList sorts hs in place, as List returns them.
func sortHashList(hs []record.Hash) { slices.SortFunc(hs, compareHash) }
