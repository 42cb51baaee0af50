//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package atomicfile

import (
	"io/fs"
	"os"
	"time"
)

// staleAge is how old a temporary file must be to be taken for a killed
// writer's where there is no flock to tell.
const staleAge = 24 * time.Hour

// holdOpen says that a temporary file is closed as soon as it is
// written: there is no lock to hold, and Windows cannot rename a file
// that is open.
const holdOpen = false

// lockNew reports that f may be used: without flock there is no lock to
// take, and removeIfStale leaves young files alone.
func lockNew(f *os.File) bool { return true }

// removeIfStale removes the temporary file name when it was last written
// more than staleAge ago: without flock a live writer cannot be told from
// a killed one, and no write is expected to last that long.
func removeIfStale(name string) {
	if st, err := os.Lstat(name); err == nil && time.Since(st.ModTime()) > staleAge {
		os.Remove(name)
	}
}

// keepOwner does nothing: file ownership is a Unix notion.
func keepOwner(f *os.File, old fs.FileInfo) {}
