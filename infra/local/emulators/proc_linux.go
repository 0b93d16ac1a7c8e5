package emulators

import "syscall"

// procAttr puts each emulator in its own process group (so that Stop ends
// the JVM or Node and anything they started) and has Linux kill it if this
// process dies first, so that no emulator outlives a killed test run.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
