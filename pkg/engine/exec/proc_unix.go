//go:build unix

package exec

import (
	osexec "os/exec"
	"syscall"
)

// ownGroup makes cmd the leader of a new process group, so that killing
// the group ends whatever the engine started (a script's simulation
// program) and a terminal's Ctrl-C reaches we-step alone, which then ends
// the engine.
func ownGroup(cmd *osexec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills cmd's process group.
func killGroup(cmd *osexec.Cmd) {
	if cmd.Process == nil {
		return
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		cmd.Process.Kill()
	}
}
