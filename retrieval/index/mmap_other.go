//go:build !linux && !darwin

package index

// load reads path into memory: this platform gets no memory mapping.
func load(path string, opts LoadOptions) (*Flat, error) {
	return loadRead(path, opts)
}
