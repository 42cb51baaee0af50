//go:build !purego

package kernels

import "syscall"

// requestAMX asks Linux for the AMX tile data state (arch_prctl
// ARCH_REQ_XCOMP_PERM with XFEATURE_XTILEDATA), which Linux 5.16 and later
// grant per process on request; without it the first tile instruction
// kills the process. Asking again after a grant is harmless.
func requestAMX() error {
	const archReqXcompPerm, xfeatureXtiledata = 0x1023, 18
	if _, _, errno := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtiledata, 0); errno != 0 {
		return errno
	}
	return nil
}
