package index

import (
	"fmt"
	"os"
)

// LoadOptions tunes Load.
type LoadOptions struct {
	// SkipChecksum skips the CRC-32C check, which reads the whole file.
	// The header and the ids are still checked, so a corrupt file cannot
	// make Load fail other than with an error, but corrupt vectors go
	// unnoticed.
	SkipChecksum bool
}

// Load opens the index file at path, written by [Flat.Save] or
// [Flat.WriteTo]. On Linux and Darwin the file is memory-mapped read-only
// and the matrix used in place; elsewhere it is read into memory. Either
// way the index is read-only (Add returns [ErrReadOnly]) and should be
// released with Close. A mapped file must not be truncated or rewritten in
// place while the index is open ([Flat.Save] replaces a file by renaming,
// which is safe). The checksum is verified unless opts.SkipChecksum.
// Errors name the file and the field at fault, and wrap [ErrFormat],
// [ErrVersion], [ErrTruncated] or [ErrChecksum] where they apply.
func Load(path string, opts LoadOptions) (*Flat, error) {
	f, err := load(path, opts)
	if err != nil {
		return nil, err
	}
	f.readOnly = true
	return f, nil
}

// loadRead is Load without a memory mapping: the file is read whole.
func loadRead(path string, opts LoadOptions) (*Flat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("index: load: %w", err)
	}
	f, _, err := parse(b, path, !opts.SkipChecksum)
	return f, err
}
