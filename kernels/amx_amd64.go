//go:build !purego

package kernels

// grantAMX is an AMX tier's support once the CPU has its features: whether
// the OS granted the tile state (requestAMX, per OS), and if not, why.
func grantAMX() (ok bool, reason string) {
	if err := requestAMX(); err != nil {
		return false, "the OS did not grant the AMX tile state: " + err.Error()
	}
	return true, ""
}
