//go:build !(linux && (amd64 || arm64 || riscv64 || loong64))

package store

import (
	"errors"
	"os"
)

// syncfsOK is false where syncfs(2) is unavailable: PutItems fsyncs each
// file.
var syncfsOK = false

func syncfs(*os.File) error { return errors.New("syncfs is not available on this system") }
