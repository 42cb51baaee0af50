//go:build !purego && !linux

package kernels

import "errors"

// requestAMX reports that the tile state is only requested on Linux (other
// systems hand it out differently, and none is tested here).
func requestAMX() error {
	return errors.New("the AMX tiers request the tile state from Linux only")
}
