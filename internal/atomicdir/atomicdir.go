// Package atomicdir replaces a directory as a whole: readers (and a crash)
// see either the old contents or the complete new ones, never a mix, and
// two writers of the same directory never interleave.
//
// Write builds the new contents in a fresh temporary directory beside the
// target (.NAME.tmp-RANDOM, in the same parent, so that a rename can move
// it), syncs every file and directory in it, then swaps it in:
//
//   - on Linux with renameat2(RENAME_EXCHANGE), which exchanges the two
//     names in one step, so that the path always names a whole
//     directory; the old contents, now under the temporary name, are
//     then removed;
//   - elsewhere (and on Linux file systems without RENAME_EXCHANGE) by
//     renaming the old directory aside (.NAME.old-RANDOM), the new one
//     in, and removing the old. Between the two renames, a few
//     microseconds, the path names nothing: a reader then fails to open
//     it, and a crash then leaves no directory at the path, the old one
//     under its .old name and the new one under its temporary name; the
//     next Write of the path puts the old one back (when there is
//     exactly one) before it starts.
//
// A directory that does not exist yet is simply renamed into place.
//
// The directory becomes exactly what fill writes: files the old
// directory held that fill does not write again are gone. So that a
// mistyped path does not wipe out someone's files, Write replaces only a
// directory that is empty or holds one of Options.Markers, the files
// that show it is the kind of directory being written; it refuses
// anything at the path that is not a directory, and the process's
// working directory (which would be left pointing at the removed old
// contents).
//
// Concurrent writers of one directory are refused, not serialized: each
// Write holds a lock for its whole duration, and a second Write of the
// same directory fails at once with an error that wraps ErrBusy and
// names the directory. The lock is an exclusive flock(2) on the hidden
// file .NAME.lock in the parent directory (on systems without flock, the
// lock file's existence, created with O_EXCL and removed at the end; a
// writer killed there leaves it, and the error says to remove it). The
// flock file is left in place after the write: removing it would let a
// writer lock a file that is no longer at that name while another locks
// its replacement. Holding the lock, Write also removes the temporary
// and old directories that killed writers of the same directory left,
// and only then: no other live writer can own one.
//
// Symlinks in the last element of the path are followed: the directory
// they point to is replaced and the link stays.
package atomicdir

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrBusy is wrapped by the error of a Write whose directory another
// writer (this process or another) is writing.
var ErrBusy = errors.New("another process is writing the directory")

// busyError is Write's error when the lock is held elsewhere.
type busyError struct {
	dir, lock, hint string
}

func (e *busyError) Error() string {
	return fmt.Sprintf("atomicdir: another process is writing %s (it holds %s)%s", e.dir, e.lock, e.hint)
}

func (e *busyError) Is(target error) bool { return target == ErrBusy }

// Options say which existing directories Write may replace.
type Options struct {
	// Markers are names of files (or directories), of which an existing
	// non-empty directory must hold at least one for Write to replace
	// it. With none, only an empty directory is replaced.
	Markers []string
}

// Write replaces the directory dir with what fill writes into tmp, a new
// empty directory beside it, as a whole (see the package comment). The
// parent of dir is created if needed. A new directory gets mode 0777
// less the umask; a replaced one keeps its permissions. When fill or any
// step before the swap fails, dir is left as it was and the temporary
// directory is removed; fill's own error is returned as it is, others
// name dir.
func Write(dir string, opts Options, fill func(tmp string) error) error {
	target, err := resolve(dir)
	if err != nil {
		return err
	}
	parent, name := filepath.Dir(target), filepath.Base(target)
	if parent == target {
		return fmt.Errorf("atomicdir: %s: cannot replace a root directory", dir)
	}
	if err := os.MkdirAll(parent, 0o777); err != nil {
		return fmt.Errorf("atomicdir: %s: %w", dir, err)
	}
	unlock, err := lock(parent, name, dir)
	if err != nil {
		return err
	}
	defer unlock()
	cleanStale(parent, name)
	old, err := check(dir, target, opts)
	if err != nil {
		return err
	}
	tmp, err := makeTemp(parent, name, old)
	if err != nil {
		return fmt.Errorf("atomicdir: %s: %w", dir, err)
	}
	// After a swap tmp holds the old contents, after a rename into
	// place nothing: removing it is right in every case.
	defer os.RemoveAll(tmp)
	if err := fill(tmp); err != nil {
		return err
	}
	if err := syncTree(tmp); err != nil {
		return fmt.Errorf("atomicdir: %s: %w", dir, err)
	}
	if old == nil {
		if err := os.Rename(tmp, target); err != nil {
			return fmt.Errorf("atomicdir: %s: %w", dir, err)
		}
	} else {
		aside, err := swap(tmp, target)
		if err != nil {
			return fmt.Errorf("atomicdir: %s: %w", dir, err)
		}
		if aside != tmp {
			defer os.RemoveAll(aside)
		}
	}
	syncDir(parent) // persist the rename
	return nil
}

// Check reports the error Write would return before it writes anything
// because of what is at dir (not a directory, a non-empty directory
// without a marker, the working directory), nil when there is nothing
// against it now. It lets a caller refuse before long work whose result
// Write would then refuse to store.
func Check(dir string, opts Options) error {
	target, err := resolve(dir)
	if err != nil {
		return err
	}
	if filepath.Dir(target) == target {
		return fmt.Errorf("atomicdir: %s: cannot replace a root directory", dir)
	}
	_, err = check(dir, target, opts)
	return err
}

// maxLinks bounds the symlinks followed from one path, as the kernel's
// ELOOP does.
const maxLinks = 40

// resolve returns dir as an absolute, clean path with the symlinks of its
// last element followed (a dangling one to where it points).
func resolve(dir string) (string, error) {
	p, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("atomicdir: %s: %w", dir, err)
	}
	for range maxLinks {
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) || err == nil && st.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		if err != nil {
			return "", fmt.Errorf("atomicdir: %s: %w", dir, err)
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return "", fmt.Errorf("atomicdir: %s: %w", dir, err)
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(p), dest)
		}
		p = filepath.Clean(dest)
	}
	return "", fmt.Errorf("atomicdir: %s: more than %d symlinks", dir, maxLinks)
}

// check returns the information of the directory at target, nil when
// there is none, or an error when Write must not replace what is there.
func check(dir, target string, opts Options) (fs.FileInfo, error) {
	st, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("atomicdir: %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("atomicdir: %s exists and is not a directory: refusing to replace it", dir)
	}
	if wd, err := os.Stat("."); err == nil && os.SameFile(wd, st) {
		return nil, fmt.Errorf("atomicdir: %s is the working directory, which cannot be replaced: run from another one", dir)
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return nil, fmt.Errorf("atomicdir: %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return st, nil
	}
	for _, m := range opts.Markers {
		if _, err := os.Lstat(filepath.Join(target, m)); err == nil {
			return st, nil
		}
	}
	if len(opts.Markers) == 0 {
		return nil, fmt.Errorf("atomicdir: %s is a directory that is not empty: refusing to replace it (and lose its files); name a new or empty one", dir)
	}
	return nil, fmt.Errorf("atomicdir: %s is a directory that is not empty and holds none of %s, so it is not one to replace: refusing (its files would be lost); name a new or empty one",
		dir, strings.Join(opts.Markers, ", "))
}

// makeTemp creates the temporary directory of a write of parent/name:
// mode 0777 less the umask, or old's permissions when old is not nil.
func makeTemp(parent, name string, old fs.FileInfo) (string, error) {
	for attempt := 0; ; attempt++ {
		tmp := filepath.Join(parent, tempPrefix(name)+strconv.FormatUint(rand.Uint64(), 36))
		err := os.Mkdir(tmp, 0o777)
		if errors.Is(err, fs.ErrExist) && attempt < 100 {
			continue
		}
		if err != nil {
			return "", err
		}
		if old != nil {
			if err := os.Chmod(tmp, old.Mode().Perm()); err != nil {
				os.Remove(tmp)
				return "", err
			}
		}
		return tmp, nil
	}
}

// tempPrefix and oldPrefix begin the names of the temporary directories
// of writes of name and of old contents put aside.
func tempPrefix(name string) string { return "." + name + ".tmp-" }
func oldPrefix(name string) string  { return "." + name + ".old-" }

// cleanStale removes what killed writers of parent/name left: temporary
// directories (new contents never swapped in, or old contents swapped
// out but not yet removed) and old contents put aside. When the path
// names nothing and exactly one old directory is there (a writer was
// killed between its two renames), that one is put back instead; with
// several, none is guessed at, and none is removed while the path names
// nothing. The caller holds the lock, so none of these belongs to a live
// writer.
func cleanStale(parent, name string) {
	target := filepath.Join(parent, name)
	olds := withPrefix(parent, oldPrefix(name))
	if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
		if len(olds) == 1 {
			os.Rename(olds[0], target)
		}
		olds = nil // put back, or kept: they may be all there is
	}
	temps := withPrefix(parent, tempPrefix(name))
	for _, d := range append(temps, olds...) {
		if st, err := os.Lstat(d); err == nil && st.IsDir() {
			os.RemoveAll(d)
		}
	}
}

// swapAside puts the directory tmp in target's place by renaming target
// aside first, and returns where the old contents went. Should the second
// rename fail, the old directory is put back.
func swapAside(tmp, target string) (string, error) {
	parent, name := filepath.Split(target)
	for attempt := 0; ; attempt++ {
		aside := filepath.Join(parent, oldPrefix(name)+strconv.FormatUint(rand.Uint64(), 36))
		if _, err := os.Lstat(aside); err == nil && attempt < 100 {
			continue
		}
		if err := os.Rename(target, aside); err != nil {
			return "", err
		}
		if err := os.Rename(tmp, target); err != nil {
			if err2 := os.Rename(aside, target); err2 != nil {
				return "", fmt.Errorf("%w; and putting the old contents back from %s failed: %v", err, aside, err2)
			}
			return "", err
		}
		return aside, nil
	}
}

// syncTree syncs every regular file and directory under root, root
// included, so that the contents are on disk before they are swapped in.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && !e.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil && e.IsDir() {
			return nil // some file systems cannot sync a directory
		}
		return err
	})
}

// syncDir syncs a directory, persisting the renames in it. Errors are
// ignored: some file systems cannot sync a directory, and the rename has
// happened either way.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// withPrefix returns the paths of the entries of dir whose names start
// with prefix (compared as strings: no pattern syntax to escape).
func withPrefix(dir, prefix string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}
