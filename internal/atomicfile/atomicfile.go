// Package atomicfile writes files so that a crash leaves either the old
// file or the whole new one: the data goes to a temporary file in the same
// directory as the target, which is synced, renamed over the target, and
// the directory synced.
//
// What a write keeps of the file it replaces:
//
//   - its permission bits (a 0644 file stays 0644, a 0600 one 0600) and,
//     where the process may set them, its owner and group; a new file
//     gets 0666 less the umask, as os.Create would make it;
//   - a symlink: the write goes through it (and through a chain of them)
//     to the file it points to, whose directory holds the temporary
//     file, and the link stays a link. A dangling symlink is written
//     through too: the file it points to is created;
//   - a target that is not a regular file (a character device such as
//     /dev/null, a named pipe) is written in place, without a temporary
//     file, as there is nothing to swap; a directory is refused.
//
// Temporary files are named .NAME.tmp-RANDOM beside the target. A
// successful write also removes the ones earlier writes of the same
// target left when they were killed, but never a live writer's: on the
// systems with flock(2) (Linux, the BSDs, macOS, Solaris) every writer
// holds an exclusive flock on its temporary file from its creation until
// it has been renamed, and only those whose lock can be taken are
// removed; elsewhere only ones older than a day are. On a file system
// without flock support temporary files are not locked and not removed.
//
// Group writes several files all or nothing (see Group).
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WriteFunc writes path through fill, atomically. Nothing is left behind
// when fill or any step fails; fill's own error is returned as it is.
func WriteFunc(path string, fill func(w io.Writer) error) error {
	var g Group
	if err := g.Add(path, fill); err != nil {
		return err
	}
	return g.Commit()
}

// Write writes data to path, atomically.
func Write(path string, data []byte) error {
	return WriteFunc(path, FromBytes(data))
}

// FromBytes returns a fill function, for WriteFunc or Group.Add, that
// writes data.
func FromBytes(data []byte) func(w io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

// Group writes several files so that either every one of them changes
// or none does, short of a crash: Add writes each file whole to its
// temporary file (synced), and only Commit, once every Add succeeded,
// renames them over their targets, in the order they were added. When
// an Add fails the group removes every temporary file it made and no
// target changes; Abort does the same for a group that will not be
// committed. A zero Group is ready to use; a Group is not safe for
// concurrent use.
//
// A crash (or power loss) during Commit's renames, a window of a few
// system calls, leaves the files renamed so far new and the others old,
// with their temporary files, which later writes of those targets
// remove. Likewise, should a rename itself fail (a file system that
// stopped accepting operations), the files before it stay replaced; the
// error names them.
//
// Typical use:
//
//	var g atomicfile.Group
//	defer g.Abort() // does nothing once committed
//	if err := g.Add(a, fillA); err != nil {
//		return err
//	}
//	if err := g.Add(b, fillB); err != nil {
//		return err
//	}
//	return g.Commit()
type Group struct {
	files []*pending
	err   error // the first failure; the group is finished
	done  bool  // committed, failed or aborted
}

// pending is one file of a group.
type pending struct {
	path   string   // as the caller named it, for errors
	target string   // the file replaced: path with symlinks followed
	tmp    string   // the temporary file; "" when written in place, or once renamed or removed
	f      *os.File // tmp, open and locked until renamed (see holdOpen); nil once closed
	fill   func(w io.Writer) error
}

// Add writes path through fill to a temporary file beside path's target
// and syncs it; Commit puts it in place. A target that is not a regular
// file (a device, a pipe) is written in place by Commit instead, as
// there is nothing to rename. When fill or any step fails, Add removes
// the temporary files of the whole group and returns the error (fill's
// own as it is); the group is then finished and Commit returns that
// error.
func (g *Group) Add(path string, fill func(w io.Writer) error) error {
	if g.done {
		if g.err != nil {
			return g.err
		}
		return fmt.Errorf("atomicfile: %s: Add on a group already committed", path)
	}
	p, err := prepare(path)
	if err != nil {
		return g.fail(err)
	}
	for _, q := range g.files {
		if sameName(q.target, p.target) {
			p.discard()
			return g.fail(fmt.Errorf("atomicfile: %s: written twice in one group (as %s and %s)", p.target, q.path, path))
		}
	}
	g.files = append(g.files, p)
	if p.tmp == "" {
		p.fill = fill
		return nil
	}
	if err := fill(p.f); err != nil {
		return g.fail(err)
	}
	if err := p.f.Sync(); err != nil {
		return g.fail(fmt.Errorf("atomicfile: %s: %w", path, err))
	}
	if !holdOpen {
		err := p.f.Close()
		p.f = nil
		if err != nil {
			return g.fail(fmt.Errorf("atomicfile: %s: %w", path, err))
		}
	}
	return nil
}

// Commit renames every file of the group over its target, in the order
// they were added, then syncs their directories and removes the
// temporary files that killed earlier writes of those targets left. It
// returns the error of a failed Add, if any, without changing anything.
func (g *Group) Commit() error {
	if g.done {
		if g.err != nil {
			return g.err
		}
		return errors.New("atomicfile: Commit on a group already committed")
	}
	g.done = true
	var replaced []string
	for i, p := range g.files {
		if err := p.commit(); err != nil {
			finish(g.files[:i])
			for _, q := range g.files[i:] {
				q.discard()
			}
			if len(replaced) > 0 {
				err = fmt.Errorf("%w (already replaced: %s)", err, strings.Join(replaced, ", "))
			}
			g.err = err
			return err
		}
		replaced = append(replaced, p.path)
	}
	finish(g.files)
	return nil
}

// finish completes the files put in place: syncs their directories,
// releases their temporary files and removes the stale ones of their
// targets.
func finish(done []*pending) {
	synced := map[string]bool{}
	for _, p := range done {
		if dir := filepath.Dir(p.target); p.tmp != "" && !synced[dir] {
			syncDir(dir) // persist the renames
			synced[dir] = true
		}
	}
	for _, p := range done {
		if p.tmp != "" {
			// The data was synced and the file renamed: a late close
			// error has nothing left to report. Closing releases the
			// lock, so it comes after the rename.
			p.close()
			p.tmp = ""
			removeStale(p.target)
		}
	}
}

// Abort removes the temporary files of a group that was not committed,
// leaving every target as it was. After Commit, or an Add that failed
// (which aborts the group itself), it does nothing.
func (g *Group) Abort() {
	if g.done {
		return
	}
	g.fail(errors.New("atomicfile: the group was aborted"))
}

// fail finishes the group with err, removing its temporary files, and
// returns err.
func (g *Group) fail(err error) error {
	for _, p := range g.files {
		p.discard()
	}
	g.done, g.err = true, err
	return err
}

// commit puts p in place: renames its temporary file over the target, or
// writes a target that is not a regular file in place.
func (p *pending) commit() error {
	if p.tmp == "" {
		f, err := os.OpenFile(p.target, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("atomicfile: %w", err)
		}
		if err := p.fill(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("atomicfile: %w", err)
		}
		return nil
	}
	if err := os.Rename(p.tmp, p.target); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	return nil
}

// discard removes p's temporary file (before closing it, which releases
// the lock, so that no one else removes it meanwhile). Once p was renamed
// there is nothing to remove.
func (p *pending) discard() {
	if p.tmp != "" {
		os.Remove(p.tmp)
		p.close()
		p.tmp = ""
	}
}

// sameName reports whether the paths a and b name the same file, as far
// as their text says (symlinks were followed already).
func sameName(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}

// close closes p's temporary file if it is open, releasing its lock.
func (p *pending) close() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// prepare makes the temporary file of a write of path, locked, with the
// permissions (and owner) of the file it will replace.
func prepare(path string) (*pending, error) {
	if st, err := os.Stat(path); err == nil {
		switch {
		case st.IsDir():
			return nil, fmt.Errorf("atomicfile: %s is a directory", path)
		case !st.Mode().IsRegular():
			return &pending{path: path, target: path}, nil
		}
	}
	target, old, err := resolve(path)
	if err != nil {
		return nil, err
	}
	f, err := createTemp(target, old)
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %s: %w", path, err)
	}
	return &pending{path: path, target: target, tmp: f.Name(), f: f}, nil
}

// maxLinks bounds the symlinks followed from one path, as the kernel's
// ELOOP does.
const maxLinks = 40

// resolve follows path's symlinks to the file they name and returns that
// path with the file's information, nil when it does not exist (a new
// file, or a dangling symlink's target).
func resolve(path string) (string, fs.FileInfo, error) {
	p := path
	for range maxLinks {
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil, nil
		}
		if err != nil {
			return "", nil, fmt.Errorf("atomicfile: %w", err)
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			if !st.Mode().IsRegular() {
				return "", nil, fmt.Errorf("atomicfile: %s: %s is not a regular file", path, p)
			}
			return p, st, nil
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return "", nil, fmt.Errorf("atomicfile: %w", err)
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(p), dest)
		}
		p = dest
	}
	return "", nil, fmt.Errorf("atomicfile: %s: more than %d symlinks", path, maxLinks)
}

// createTemp creates and locks a temporary file beside target: mode 0666
// less the umask when target is new (old nil), else old's permissions and,
// where allowed, owner.
func createTemp(target string, old fs.FileInfo) (*os.File, error) {
	dir, base := filepath.Split(target)
	perm := os.FileMode(0o666)
	if old != nil {
		perm = 0o600 // until the chmod below, whatever the umask
	}
	for attempt := 0; ; attempt++ {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
		if errors.Is(err, fs.ErrExist) && attempt < 100 {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !lockNew(f) {
			// Another write's clean-up took the file for a stale one
			// between its creation and the lock; it removes it.
			f.Close()
			if attempt < 100 {
				continue
			}
			return nil, fmt.Errorf("%s: could not lock a temporary file", target)
		}
		if old != nil {
			keepOwner(f, old)
			if err := f.Chmod(old.Mode().Perm()); err != nil {
				os.Remove(name)
				f.Close()
				return nil, err
			}
		}
		return f, nil
	}
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

// removeStale removes the temporary files of earlier writes of target
// that a crash left behind (a killed process cannot remove its own),
// skipping those a live writer holds (see removeIfStale). Only regular
// files with the names this package makes for target are touched.
func removeStale(target string) {
	pattern := filepath.Join(filepath.Dir(target), "."+escapeGlob(filepath.Base(target))+".tmp-*")
	stale, _ := filepath.Glob(pattern)
	for _, f := range stale {
		if st, err := os.Lstat(f); err == nil && st.Mode().IsRegular() {
			removeIfStale(f)
		}
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
