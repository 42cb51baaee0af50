// Package atomicfile writes files so that a crash leaves either the old
// file or the whole new one: the data goes to a temporary file in the same
// directory, which is synced, renamed over the target, and the directory
// synced. A successful write also removes the temporary files that earlier
// writes of the same target left when they were killed.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteFunc writes path through fill, atomically. Nothing is left behind
// when fill or any step fails.
func WriteFunc(path string, fill func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // persist the rename
		d.Sync()
		d.Close()
	}
	removeStale(path)
	return nil
}

// removeStale removes the temporary files of earlier writes of path that a
// crash left behind (a killed process cannot remove its own). Only names
// this package makes for path are touched.
func removeStale(path string) {
	pattern := filepath.Join(filepath.Dir(path), "."+escapeGlob(filepath.Base(path))+".tmp-*")
	stale, _ := filepath.Glob(pattern)
	for _, f := range stale {
		os.Remove(f)
	}
}

// escapeGlob quotes the characters filepath.Match treats as special.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Write writes data to path, atomically.
func Write(path string, data []byte) error {
	return WriteFunc(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
