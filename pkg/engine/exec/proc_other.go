//go:build !unix

package exec

import osexec "os/exec"

func ownGroup(*osexec.Cmd) {}

// killGroup kills the engine process (without process groups, not what it
// started).
func killGroup(cmd *osexec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}
