package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
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
