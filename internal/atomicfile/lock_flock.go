//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// holdOpen says that a temporary file stays open, holding its lock,
// until it has been renamed over its target.
const holdOpen = true

// lockNew takes an exclusive flock on f, a temporary file just created,
// and reports whether f is still the file its name names and so may be
// used: false when another write's clean-up holds the lock (it took the
// file for a stale one and removes it) or already removed it. On a file
// system without flock the file is used unlocked.
func lockNew(f *os.File) bool {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return false
	}
	if err != nil {
		return true
	}
	return sameFile(f)
}

// removeIfStale removes the temporary file name unless a live writer
// holds its lock. Holding the lock itself while it checks that name still
// names the locked file and removes it, it cannot remove a file whose
// writer has locked it (see lockNew).
func removeIfStale(name string) {
	f, err := os.Open(name)
	if err != nil {
		return
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return // a live writer's, or a file system without flock
	}
	if sameFile(f) {
		os.Remove(name)
	}
}

// sameFile reports whether f's name still names f.
func sameFile(f *os.File) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(f.Name())
	return err == nil && os.SameFile(a, b)
}

// keepOwner gives f the owner and group of old, as far as the process may
// (root may; others may keep their own user and pick among their groups):
// an error leaves f's, which is what a new file would have had.
func keepOwner(f *os.File, old fs.FileInfo) {
	if st, ok := old.Sys().(*syscall.Stat_t); ok {
		f.Chown(int(st.Uid), int(st.Gid))
	}
}
