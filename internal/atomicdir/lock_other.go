//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package atomicdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// lock creates parent/.NAME.lock, which must not exist, and returns the
// function that removes it: without flock, the file's existence is the
// lock. A writer killed while holding it leaves it behind; the error then
// says so.
func lock(parent, name, dir string) (func(), error) {
	path := filepath.Join(parent, "."+name+".lock")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if errors.Is(err, fs.ErrExist) {
		return nil, &busyError{dir: dir, lock: path, hint: "; if no rrra process is running, one was killed: remove that file"}
	}
	if err != nil {
		return nil, fmt.Errorf("atomicdir: %s: lock: %w", dir, err)
	}
	f.Close()
	return func() { os.Remove(path) }, nil
}
