//go:build !linux

package store

import "errors"

// syncfsOK is false where syncfs(2) is unavailable: PutItems fsyncs each
// file.
var syncfsOK = false

func syncfs(int) error { return errors.New("syncfs is not available on this system") }

// renameNew renames the temp file tmp to dst unless dst exists, in which
// case it does nothing and reports false.
func renameNew(tmp, dst string) (bool, error) { return renameNewStat(tmp, dst) }
