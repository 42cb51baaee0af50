package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := Write(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Fatalf("content %q", b)
	}
	// A failing writer leaves the old file and no temporary behind.
	boom := errors.New("boom")
	if err := WriteFunc(p, func(w io.Writer) error { w.Write([]byte("partial")); return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Fatalf("content after a failed write %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files left: %v", entries)
	}
}

// TestRemovesStaleTemps checks that a write removes the temporary files a
// killed earlier write of the same target left, and nothing else.
func TestRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		target string
		stale  []string // left by killed writes of target
		keep   []string // other files, untouched
	}{
		{"train.ckpt", []string{".train.ckpt.tmp-123", ".train.ckpt.tmp-9"}, []string{".other.ckpt.tmp-1", "train.ckpt.tmp-5", ".train.ckpt2.tmp-3"}},
		{"a[1]*.json", []string{".a[1]*.json.tmp-77"}, []string{".a1x.json.tmp-1"}},
	} {
		for _, f := range append(append([]string{}, c.stale...), c.keep...) {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("partial"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := Write(filepath.Join(dir, c.target), []byte("whole")); err != nil {
			t.Fatal(err)
		}
		for _, f := range c.stale {
			if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
				t.Errorf("%s: stale temporary %s is still there", c.target, f)
			}
		}
		for _, f := range c.keep {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: %s was removed: %v", c.target, f, err)
			}
		}
	}
}

// umask returns the process's umask, read the way the package applies it:
// the permissions of a file created with mode 0666.
func umask(t *testing.T) os.FileMode {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return 0o666 &^ st.Mode().Perm()
}

// TestModeKept checks that a rewritten file keeps its permissions and
// that a new one gets 0666 less the umask, as os.Create would give it.
func TestModeKept(t *testing.T) {
	mask := umask(t)
	for _, c := range []struct {
		name string
		old  os.FileMode // 0: no file before
		want os.FileMode
	}{
		{"0644 stays 0644", 0o644, 0o644},
		{"0600 stays 0600", 0o600, 0o600},
		{"0664 stays 0664", 0o664, 0o664},
		{"0400 stays 0400", 0o400, 0o400},
		{"new file", 0, 0o666 &^ mask},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			if c.old != 0 {
				if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(p, c.old); err != nil { // whatever the umask
					t.Fatal(err)
				}
			}
			if err := Write(p, []byte("new")); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != c.want {
				t.Errorf("mode %v, want %v", st.Mode().Perm(), c.want)
			}
			if b, _ := os.ReadFile(p); string(b) != "new" {
				t.Errorf("content %q", b)
			}
		})
	}
}

// TestSymlinkWrittenThrough checks that writing a symlink replaces the
// file it points to (through a chain of links, relative or absolute, and
// creating the file a dangling link names) and leaves the link a link.
func TestSymlinkWrittenThrough(t *testing.T) {
	for _, c := range []struct {
		name  string
		links func(dir string) (link, target string) // makes them
		old   bool                                   // target exists
	}{
		{"relative", func(dir string) (string, string) {
			os.Mkdir(filepath.Join(dir, "real"), 0o755)
			os.Symlink(filepath.Join("real", "f"), filepath.Join(dir, "link"))
			return filepath.Join(dir, "link"), filepath.Join(dir, "real", "f")
		}, true},
		{"absolute", func(dir string) (string, string) {
			os.Symlink(filepath.Join(dir, "f"), filepath.Join(dir, "link"))
			return filepath.Join(dir, "link"), filepath.Join(dir, "f")
		}, true},
		{"chain", func(dir string) (string, string) {
			os.Mkdir(filepath.Join(dir, "sub"), 0o755)
			os.Symlink("f", filepath.Join(dir, "sub", "l2"))
			os.Symlink(filepath.Join("sub", "l2"), filepath.Join(dir, "link"))
			return filepath.Join(dir, "link"), filepath.Join(dir, "sub", "f")
		}, true},
		{"dangling", func(dir string) (string, string) {
			os.Symlink("absent", filepath.Join(dir, "link"))
			return filepath.Join(dir, "link"), filepath.Join(dir, "absent")
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			link, target := c.links(dir)
			if c.old {
				if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
				os.Chmod(target, 0o640)
			}
			dest, err := os.Readlink(link)
			if err != nil {
				t.Fatal(err)
			}
			if err := Write(link, []byte("new")); err != nil {
				t.Fatal(err)
			}
			st, err := os.Lstat(link)
			if err != nil || st.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("the link is no longer a link: %v %v", st.Mode(), err)
			}
			if d, _ := os.Readlink(link); d != dest {
				t.Errorf("the link points to %q, was %q", d, dest)
			}
			if b, err := os.ReadFile(target); string(b) != "new" {
				t.Errorf("target content %q, %v", b, err)
			}
			if st, err := os.Stat(target); c.old && (err != nil || st.Mode().Perm() != 0o640) {
				t.Errorf("target mode %v, %v; want 0640", st.Mode().Perm(), err)
			}
			temps, _ := filepath.Glob(filepath.Join(dir, "*", ".*.tmp-*"))
			more, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
			if len(temps)+len(more) > 0 {
				t.Errorf("temporary files left: %v %v", temps, more)
			}
		})
	}
}

// TestLiveTempSurvives checks that a write does not remove the temporary
// file of a concurrent write of the same target: the first writer,
// blocked inside fill, still succeeds after a second one finished, and
// its content, written last, is the file's.
func TestLiveTempSurvives(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := Write(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	filling, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- WriteFunc(p, func(w io.Writer) error {
			if _, err := w.Write([]byte("first")); err != nil {
				return err
			}
			close(filling)
			<-release
			return nil
		})
	}()
	<-filling
	if err := Write(p, []byte("second")); err != nil {
		t.Fatalf("second writer: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "second" {
		t.Fatalf("after the second writer: %q", b)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first writer: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "first" {
		t.Errorf("final content %q, want the first writer's", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
}

// TestGroup checks that a group changes every file or none: a failure in
// any Add (fill's error, or a target that cannot be written) leaves every
// target as it was and no temporary file behind, and Commit then returns
// that error.
func TestGroup(t *testing.T) {
	boom := errors.New("boom")
	errAny := errors.New("any error") // stands for any error in the table
	ok := FromBytes([]byte("new"))
	fail := func(w io.Writer) error { w.Write([]byte("partial")); return boom }
	type file struct {
		name string // under the test's directory
		fill func(io.Writer) error
	}
	for _, c := range []struct {
		name  string
		files []file
		want  error // nil: committed; boom: that error; other: any error
	}{
		{"all written", []file{{"a", ok}, {"b", ok}, {"new", ok}}, nil},
		{"fill fails in the 2nd", []file{{"a", ok}, {"b", fail}, {"new", ok}}, boom},
		{"fill fails in the 3rd", []file{{"a", ok}, {"new", ok}, {"b", fail}}, boom},
		{"2nd in a missing directory", []file{{"a", ok}, {"missing/x", ok}, {"b", ok}}, os.ErrNotExist},
		{"2nd a directory", []file{{"new", ok}, {"d", ok}}, errAny},
		{"same file twice", []file{{"a", ok}, {"b", ok}, {"a", ok}}, errAny},
		{"same file by two names", []file{{"a", ok}, {"d/../a", ok}}, errAny},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"a", "b"} {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			os.Mkdir(filepath.Join(dir, "d"), 0o755)
			var g Group
			defer g.Abort()
			var err error
			for _, f := range c.files {
				if err = g.Add(filepath.Join(dir, f.name), f.fill); err != nil {
					break
				}
			}
			if cerr := g.Commit(); err == nil {
				err = cerr
			} else if cerr != err {
				t.Errorf("Commit after a failed Add: %v, want %v", cerr, err)
			}
			switch {
			case c.want == nil && err != nil:
				t.Fatal(err)
			case c.want != nil && err == nil:
				t.Fatal("no error")
			case c.want != nil && c.want != errAny && !errors.Is(err, c.want):
				t.Fatalf("error %v, want %v", err, c.want)
			}
			want := map[string]string{"a": "old", "b": "old", "new": ""}
			if c.want == nil {
				want = map[string]string{"a": "new", "b": "new", "new": "new"}
			}
			for f, w := range want {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if w == "" && !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s was created: %q %v", f, b, err)
				}
				if w != "" && string(b) != w {
					t.Errorf("%s holds %q, want %q (%v)", f, b, w, err)
				}
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file left: %s", e.Name())
				}
			}
		})
	}
}

// TestDirectoryRefused checks that a directory is not replaced by a file.
func TestDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "d")
	os.Mkdir(d, 0o755)
	os.WriteFile(filepath.Join(d, "keep"), []byte("x"), 0o644)
	if err := Write(d, []byte("new")); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("error %v", err)
	}
	if _, err := os.ReadFile(filepath.Join(d, "keep")); err != nil {
		t.Error(err)
	}
}
