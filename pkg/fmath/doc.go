// Package fmath holds the elementary functions whose results enter hashed
// objects, written so that they give the same bits on every machine.
//
// Go's math.Exp and math.Log run assembly on amd64 (and math.Exp on
// arm64) and pure Go elsewhere, and their results may differ in the last
// place; the Go compiler may also fuse x*y+z into one FMA instruction on
// arm64 and on GOAMD64=v3 builds. A last-place difference in a friction
// constant, a ziggurat table or a random deviate changes a trajectory and
// so the hash of every state downstream (ARCHITECTURE.md §4). The functions here use
// only IEEE basic arithmetic with every product rounded explicitly
// (float64(x*y), which the compiler must not fuse) and exact scaling, so
// their results depend on nothing but their input.
package fmath
