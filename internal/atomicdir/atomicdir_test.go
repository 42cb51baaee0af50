package atomicdir

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rrra/rrra/internal/testenv"
)

// put writes files (relative path → content; a path ending in "/" is a
// directory) under dir.
func put(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for _, p := range slices.Sorted(maps.Keys(files)) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// leftovers returns the temporary and put-aside directories of writes of
// name left in parent.
func leftovers(t *testing.T, parent, name string) []string {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix(name)) || strings.HasPrefix(e.Name(), oldPrefix(name)) {
			left = append(left, e.Name())
		}
	}
	return left
}

// umask returns the process's umask: what a directory made with mode 0777
// lacks.
func umask(t *testing.T) os.FileMode {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe")
	if err := os.Mkdir(p, 0o777); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return 0o777 &^ st.Mode().Perm()
}

// TestWrite checks what Write replaces and what it refuses: the directory
// becomes exactly what fill writes, keeps its permissions (a new one gets
// 0777 less the umask), and is left untouched, with no temporary
// directory behind, when fill fails or what is there must not be
// replaced.
func TestWrite(t *testing.T) {
	boom := errors.New("boom")
	newFiles := map[string]string{"config.json": "new", "sub/": "", "sub/w": "weights"}
	fillNew := func(tmp string) error { put(t, tmp, newFiles); return nil }
	marked := Options{Markers: []string{"config.json", "modules.json"}}
	mask := umask(t)
	for _, c := range []struct {
		name     string
		old      map[string]string // nil: nothing at the path
		oldFile  bool              // a regular file at the path instead
		oldPerm  os.FileMode
		opts     Options
		fill     func(tmp string) error
		wantErr  string // "" for success
		wantPerm os.FileMode
	}{
		{name: "new", opts: marked, fill: fillNew, wantPerm: 0o777 &^ mask},
		{name: "marked, with files not written again", old: map[string]string{"config.json": "old", "rrra_adapter.safetensors": "stale", "README.md": "mine", "sub/": "", "sub/old": "x"},
			oldPerm: 0o750, opts: marked, fill: fillNew, wantPerm: 0o750},
		{name: "marked by the second marker", old: map[string]string{"modules.json": "[]"}, oldPerm: 0o700, opts: marked, fill: fillNew, wantPerm: 0o700},
		{name: "empty, no markers", old: map[string]string{}, oldPerm: 0o755, fill: fillNew, wantPerm: 0o755},
		{name: "fill fails", old: map[string]string{"config.json": "old"}, oldPerm: 0o755, opts: marked,
			fill: func(tmp string) error { put(t, tmp, newFiles); return boom }, wantErr: "boom"},
		{name: "not marked", old: map[string]string{"thesis.tex": "years of work"}, oldPerm: 0o755, opts: marked, fill: fillNew,
			wantErr: "holds none of config.json, modules.json"},
		{name: "not empty, no markers", old: map[string]string{"config.json": "x"}, oldPerm: 0o755, fill: fillNew, wantErr: "not empty"},
		{name: "a regular file", oldFile: true, opts: marked, fill: fillNew, wantErr: "is not a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "model")
			switch {
			case c.oldFile:
				if err := os.WriteFile(dir, []byte("a file"), 0o644); err != nil {
					t.Fatal(err)
				}
			case c.old != nil:
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				put(t, dir, c.old)
				if err := os.Chmod(dir, c.oldPerm); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(dir, c.opts, c.fill)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, c.wantErr)
				}
				if c.wantErr == "boom" && !errors.Is(err, boom) {
					t.Errorf("fill's error not returned as it is: %v", err)
				}
				if !errors.Is(err, boom) && !strings.Contains(err.Error(), dir) {
					t.Errorf("the error does not name %s: %v", dir, err)
				}
				switch {
				case c.oldFile:
					if b, err := os.ReadFile(dir); string(b) != "a file" {
						t.Errorf("the file was changed: %q %v", b, err)
					}
				default:
					if got := testenv.Tree(t, dir); !maps.Equal(got, c.old) {
						t.Errorf("the directory changed: %v, was %v", got, c.old)
					}
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if got := testenv.Tree(t, dir); !maps.Equal(got, newFiles) {
					t.Errorf("contents %v, want exactly %v", got, newFiles)
				}
				if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != c.wantPerm {
					t.Errorf("mode %v (%v), want %v", st.Mode().Perm(), err, c.wantPerm)
				}
			}
			if left := leftovers(t, parent, "model"); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// TestCheck checks that Check refuses what Write would, before any
// writing, and nothing else.
func TestCheck(t *testing.T) {
	parent := t.TempDir()
	opts := Options{Markers: []string{"config.json"}}
	put(t, parent, map[string]string{"file": "x", "model/config.json": "{}", "home/notes": "x", "empty/": ""})
	for name, want := range map[string]string{"file": "is not a directory", "home": "holds none of config.json", "model": "", "empty": "", "new/deeper": ""} {
		err := Check(filepath.Join(parent, name), opts)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
}

// TestBusy checks that a second writer of a directory is refused at once,
// with an error that wraps ErrBusy and names the directory, while the
// first is writing (two goroutines: their flocks are on separate opens of
// the lock file, which conflict), and that the first then finishes and
// the lock is free again.
func TestBusy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "model")
	opts := Options{Markers: []string{"config.json"}}
	if err := Write(dir, opts, func(tmp string) error { put(t, tmp, map[string]string{"config.json": "0"}); return nil }); err != nil {
		t.Fatal(err)
	}
	filling, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- Write(dir, opts, func(tmp string) error {
			if err := os.WriteFile(filepath.Join(tmp, "config.json"), []byte("1"), 0o644); err != nil {
				return err
			}
			close(filling)
			<-release
			return nil
		})
	}()
	<-filling
	err := Write(dir, opts, func(tmp string) error { return os.WriteFile(filepath.Join(tmp, "config.json"), []byte("2"), 0o644) })
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "another process is writing "+dir) {
		t.Errorf("second writer: %v, want ErrBusy naming %s", err, dir)
	}
	if err := Check(dir, opts); err != nil {
		t.Errorf("Check while another writes: %v", err)
	}
	if got := testenv.Tree(t, dir); got["config.json"] != "0" {
		t.Errorf("during the first write: %v", got)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := testenv.Tree(t, dir); got["config.json"] != "1" {
		t.Errorf("after the first write: %v", got)
	}
	if err := Write(dir, opts, func(tmp string) error { return os.WriteFile(filepath.Join(tmp, "config.json"), []byte("3"), 0o644) }); err != nil {
		t.Fatalf("after the first write ended: %v", err)
	}
}

// TestCleansStale checks that a write removes what killed writes of the
// same directory left (a temporary directory, old contents put aside,
// including those of a write that failed), puts the old contents back
// when a writer was killed between its two renames, and leaves other
// directories' leftovers alone.
func TestCleansStale(t *testing.T) {
	opts := Options{Markers: []string{"config.json"}}
	for _, c := range []struct {
		name    string
		files   map[string]string // under the parent
		fail    bool              // the write's fill fails
		want    map[string]string // the directory's contents after
		gone    []string          // under the parent
		staying []string
	}{
		{"killed writers", map[string]string{"model/config.json": "cur", ".model.tmp-a1/config.json": "half", ".model.tmp-b2/": "",
			".model.old-c3/config.json": "older", ".other.tmp-d4/x": "y", ".model.lock": ""},
			false, map[string]string{"config.json": "new"}, []string{".model.tmp-a1", ".model.tmp-b2", ".model.old-c3"}, []string{".other.tmp-d4/x", ".model.lock"}},
		{"killed between renames", map[string]string{".model.old-c3/config.json": "old", ".model.tmp-a1/config.json": "new, never swapped in"},
			true, map[string]string{"config.json": "old"}, []string{".model.tmp-a1", ".model.old-c3"}, nil},
		{"two old ones: not guessed", map[string]string{".model.old-c3/config.json": "old", ".model.old-e5/config.json": "older"},
			false, map[string]string{"config.json": "new"}, nil, []string{".model.old-c3/config.json", ".model.old-e5/config.json"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			put(t, parent, c.files)
			dir := filepath.Join(parent, "model")
			err := Write(dir, opts, func(tmp string) error {
				if c.fail {
					return errors.New("boom")
				}
				return os.WriteFile(filepath.Join(tmp, "config.json"), []byte("new"), 0o644)
			})
			if (err != nil) != c.fail {
				t.Fatalf("error %v", err)
			}
			if got := testenv.Tree(t, dir); !maps.Equal(got, c.want) {
				t.Errorf("contents %v, want %v", got, c.want)
			}
			for _, p := range c.gone {
				if _, err := os.Lstat(filepath.Join(parent, p)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s is still there", p)
				}
			}
			for _, p := range c.staying {
				if _, err := os.Lstat(filepath.Join(parent, p)); err != nil {
					t.Errorf("%s was removed: %v", p, err)
				}
			}
		})
	}
}

// TestSwapAside checks the swap used where there is no atomic exchange:
// the new directory takes the path and the old one is returned; when the
// second rename fails, the old one is put back.
func TestSwapAside(t *testing.T) {
	parent := t.TempDir()
	put(t, parent, map[string]string{"model/config.json": "old", ".model.tmp-1/config.json": "new"})
	target := filepath.Join(parent, "model")
	aside, err := swapAside(filepath.Join(parent, ".model.tmp-1"), target)
	if err != nil {
		t.Fatal(err)
	}
	if got := testenv.Tree(t, target); got["config.json"] != "new" {
		t.Errorf("target holds %v", got)
	}
	if got := testenv.Tree(t, aside); got["config.json"] != "old" || !strings.HasPrefix(filepath.Base(aside), oldPrefix("model")) {
		t.Errorf("%s holds %v", aside, got)
	}
	if _, err := swapAside(filepath.Join(parent, ".model.tmp-absent"), target); err == nil {
		t.Fatal("no error for a missing new directory")
	}
	if got := testenv.Tree(t, target); got["config.json"] != "new" {
		t.Errorf("after a failed swap the target holds %v", got)
	}
	if left := leftovers(t, parent, "model"); len(left) != 1 || left[0] != filepath.Base(aside) {
		t.Errorf("left: %v", left)
	}
}

// TestSymlinkFollowed checks that a symlink to a directory is written
// through: the directory it points to is replaced, the link stays.
func TestSymlinkFollowed(t *testing.T) {
	parent := t.TempDir()
	put(t, parent, map[string]string{"real/config.json": "old"})
	link := filepath.Join(parent, "link")
	if err := os.Symlink("real", link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, Options{Markers: []string{"config.json"}}, func(tmp string) error {
		return os.WriteFile(filepath.Join(tmp, "config.json"), []byte("new"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link: %v %v", st.Mode(), err)
	}
	if got := testenv.Tree(t, filepath.Join(parent, "real")); got["config.json"] != "new" {
		t.Errorf("real holds %v", got)
	}
}

// TestWorkingDirectoryRefused checks that the working directory is not
// replaced: the process would be left in the removed old contents.
func TestWorkingDirectoryRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "model")
	put(t, dir, map[string]string{"config.json": "old"})
	t.Chdir(dir)
	err := Write(".", Options{Markers: []string{"config.json"}}, func(tmp string) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "working directory") {
		t.Fatalf("error %v", err)
	}
	if got := testenv.Tree(t, dir); got["config.json"] != "old" {
		t.Errorf("contents %v", got)
	}
}
