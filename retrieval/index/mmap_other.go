//go:build !linux && !darwin

package index

import "os"

// load reads path into memory: this platform gets no memory mapping.
func load(path string, opts LoadOptions) (*Flat, error) {
	return loadRead(path, opts)
}

// mapFile reads path into memory: this platform gets no memory mapping.
func mapFile(path string) (b []byte, unmap func() error, err error) {
	b, err = os.ReadFile(path)
	return b, func() error { return nil }, err
}
