package weaviatetest

import "syscall"

// dieWithParent has the kernel kill a server whose test process dies
// first (a test binary killed by its timeout runs no cleanups).
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
