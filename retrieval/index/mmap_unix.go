//go:build linux || darwin

package index

import (
	"fmt"
	"math"
	"os"
	"syscall"
)

// load memory-maps path read-only and parses the mapping in place.
func load(path string, opts LoadOptions) (*Flat, error) {
	if !nativeLE() {
		return loadRead(path, opts) // the matrix must be decoded anyway
	}
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("index: load: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("index: load: %w", err)
	}
	size := st.Size()
	if size < headerSize+crcSize {
		return loadRead(path, opts) // nothing to map; reports the truncation
	}
	if size > math.MaxInt {
		return nil, fmt.Errorf("index: %s: %w: file of %d bytes exceeds the address space", path, ErrFormat, size)
	}
	b, err := syscall.Mmap(int(fd.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("index: load %s: mmap: %w", path, err)
	}
	f, aliased, err := parse(b, path, !opts.SkipChecksum)
	if err != nil || !aliased {
		if uerr := syscall.Munmap(b); err == nil && uerr != nil {
			err = fmt.Errorf("index: load %s: munmap: %w", path, uerr)
		}
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	f.unmap = func() error {
		if err := syscall.Munmap(b); err != nil {
			return fmt.Errorf("index: close %s: munmap: %w", path, err)
		}
		return nil
	}
	return f, nil
}

// mapFile memory-maps path read-only (or reads it, on a big-endian machine
// or for a file too small to map); unmap releases what it returned.
func mapFile(path string) (b []byte, unmap func() error, err error) {
	none := func() error { return nil }
	fd, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if size > math.MaxInt {
		return nil, nil, fmt.Errorf("%s: file of %d bytes exceeds the address space", path, size)
	}
	if !nativeLE() || size < 4096 {
		b, err := os.ReadFile(path)
		return b, none, err
	}
	b, err = syscall.Mmap(int(fd.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	return b, func() error {
		if err := syscall.Munmap(b); err != nil {
			return fmt.Errorf("munmap: %w", err)
		}
		return nil
	}, nil
}
