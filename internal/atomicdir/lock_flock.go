//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package atomicdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// lock takes the exclusive flock on parent/.NAME.lock that every Write of
// parent/NAME holds, without waiting, and returns the function that
// releases it. The lock file stays (see the package comment). Separate
// opens of the file conflict, so two goroutines of one process exclude
// each other too.
func lock(parent, name, dir string) (func(), error) {
	path := filepath.Join(parent, "."+name+".lock")
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("atomicdir: %s: lock: %w", dir, err)
	}
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, &busyError{dir: dir, lock: path}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("atomicdir: %s: lock %s: %w", dir, path, err)
	}
	return func() { f.Close() }, nil
}
