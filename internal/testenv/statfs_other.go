//go:build !linux

package testenv

import "errors"

// freeSpace is not implemented off Linux, where SmallTmpfs skips first.
func freeSpace(dir string) (int64, error) {
	return 0, errors.New("testenv: free space is measured on Linux only")
}
