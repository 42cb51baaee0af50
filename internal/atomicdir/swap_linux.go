package atomicdir

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// swap puts the directory tmp in target's place and returns where the old
// contents went: with renameat2(RENAME_EXCHANGE) the two names trade
// places in one step and the old contents are at tmp. On a kernel or
// file system without it, target is renamed aside first (see swapAside).
func swap(tmp, target string) (string, error) {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, target, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return tmp, nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return swapAside(tmp, target)
	}
	return "", &os.LinkError{Op: "renameat2 RENAME_EXCHANGE", Old: tmp, New: target, Err: err}
}
