package nn

import (
	"errors"
	mapsof "maps" // nn has a test helper named maps
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rrra/rrra/internal/atomicdir"
	"github.com/rrra/rrra/internal/testenv"
)

// saveTestModels returns the tiny test model and three bi-encoders on
// it that save to different folders: a (mean pooling, normalised), b
// (other weights, CLS pooling) and c (a config.json of its own, so that
// a save of c changes every file of a's folder, the first one written
// included).
func saveTestModels(t *testing.T) (m *Model, a, b, c *BiEncoder) {
	t.Helper()
	m, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewBert(m.Bert.Config, 5)
	if err != nil {
		t.Fatal(err)
	}
	cfg := m.Bert.Config
	cfg.LayerNormEps = 1e-7
	third, err := NewBert(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	a = &BiEncoder{Query: m.Bert, Doc: m.Bert, Pooling: PoolMean, Normalize: true, Temperature: 0.05}
	b = &BiEncoder{Query: other, Doc: other, Pooling: PoolCLS, Temperature: 1}
	c = &BiEncoder{Query: third, Doc: third, Pooling: PoolMean, Normalize: true, Temperature: 0.05}
	return m, a, b, c
}

// refTree saves b to a fresh folder and returns its files.
func refTree(t *testing.T, b *BiEncoder, m *Model) map[string]string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ref")
	if err := SaveBiEncoder(dir, b, m); err != nil {
		t.Fatal(err)
	}
	return testenv.Tree(t, dir)
}

// mustLoad checks that dir loads as a bi-encoder.
func mustLoad(t *testing.T, dir string) {
	t.Helper()
	if _, _, _, err := LoadBiEncoder(dir); err != nil {
		t.Errorf("the folder does not load: %v", err)
	}
}

// TestSaveConcurrentWriters overwrites a good model folder with
// concurrent writers (goroutines: their locks are separate opens of the
// lock file, which conflict as two processes' would): while one writes,
// another is refused with an error naming the folder, and the folder
// always loads and is one whole writer's output.
func TestSaveConcurrentWriters(t *testing.T) {
	m, a, b, _ := saveTestModels(t)
	refs := map[*BiEncoder]map[string]string{a: refTree(t, a, m), b: refTree(t, b, m)}
	dir := filepath.Join(t.TempDir(), "model")
	if err := SaveBiEncoder(dir, a, m); err != nil {
		t.Fatal(err)
	}

	t.Run("refused while another writes", func(t *testing.T) {
		writing, release := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- SaveBiEncoderWith(dir, b, m, func(string) error { close(writing); <-release; return nil })
		}()
		<-writing
		err := SaveBiEncoder(dir, a, m)
		if !errors.Is(err, atomicdir.ErrBusy) || !strings.Contains(err.Error(), "another process is writing "+dir) {
			t.Errorf("second writer: %v; want atomicdir.ErrBusy naming %s", err, dir)
		}
		mustLoad(t, dir)
		if !mapsof.Equal(testenv.Tree(t, dir), refs[a]) {
			t.Error("while the first writer writes, the folder is not the old one")
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		mustLoad(t, dir)
		if !mapsof.Equal(testenv.Tree(t, dir), refs[b]) {
			t.Error("the folder is not the first writer's")
		}
	})

	t.Run("racing", func(t *testing.T) {
		for round := range 3 {
			start := make(chan struct{})
			errs := make([]chan error, 4)
			writers := []*BiEncoder{a, b, a, b}
			for i, w := range writers {
				errs[i] = make(chan error, 1)
				go func() {
					<-start
					errs[i] <- SaveBiEncoder(dir, w, m)
				}()
			}
			close(start)
			won := map[*BiEncoder]bool{}
			for i, w := range writers {
				switch err := <-errs[i]; {
				case err == nil:
					won[w] = true
				case !errors.Is(err, atomicdir.ErrBusy):
					t.Fatalf("round %d, writer %d: %v", round, i, err)
				}
			}
			if len(won) == 0 {
				t.Fatalf("round %d: every writer was refused", round)
			}
			mustLoad(t, dir)
			got := testenv.Tree(t, dir)
			if !(won[a] && mapsof.Equal(got, refs[a]) || won[b] && mapsof.Equal(got, refs[b])) {
				t.Fatalf("round %d: the folder is not one successful writer's whole output (files %v)", round, slices.Sorted(mapsof.Keys(got)))
			}
		}
	})
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 2 {
		t.Errorf("beside the folder: %v, want the folder and its lock file", entries)
	}
}

// TestSaveDiskFull rewrites a good model folder on a disk that fills up
// partway through the new weights: the save fails, and the folder is
// byte for byte the good one, still loads, and no temporary folder is
// left; with room again, the same save succeeds.
func TestSaveDiskFull(t *testing.T) {
	m, a, _, c := saveTestModels(t)
	mnt := testenv.SmallTmpfs(t, 16<<20)
	dir := filepath.Join(mnt, "model")
	if err := SaveBiEncoder(dir, a, m); err != nil {
		t.Fatal(err)
	}
	good := testenv.Tree(t, dir)
	weights := int64(len(good[WeightsFile]))
	free := testenv.FillDisk(t, mnt, weights/4)
	if free >= weights/2 {
		t.Fatalf("%d bytes free after filling, want under %d", free, weights/2)
	}
	err := SaveBiEncoder(dir, c, m)
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("save on a full disk: %v, want an error saying no space is left", err)
	}
	if !mapsof.Equal(testenv.Tree(t, dir), good) {
		t.Error("the failed save changed the folder")
	}
	mustLoad(t, dir)
	entries, _ := os.ReadDir(mnt)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{".model.lock", "filler", "model"}) {
		t.Errorf("beside the folder: %v, want the lock file, the filler and the folder", names)
	}
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	if err := SaveBiEncoder(dir, c, m); err != nil {
		t.Fatalf("with room again: %v", err)
	}
	if !mapsof.Equal(testenv.Tree(t, dir), refTree(t, c, m)) {
		t.Error("with room again, the folder is not the new model")
	}
}

// TestSaveReplacesWhole checks that a save leaves the folder exactly what
// it writes: an earlier run's adapter file and a stray README are gone,
// files SaveBiEncoderWith's extra writes arrive in the same swap, and a
// failing extra leaves the folder as it was.
func TestSaveReplacesWhole(t *testing.T) {
	m, a, b, _ := saveTestModels(t)
	dir := filepath.Join(t.TempDir(), "model")
	if err := SaveBiEncoder(dir, a, m); err != nil {
		t.Fatal(err)
	}
	for f, data := range map[string]string{"rrra_adapter.safetensors": "adapters of the old model", "README.md": "notes", "old/x": "y"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := SaveBiEncoder(dir, b, m); err != nil {
		t.Fatal(err)
	}
	if got, want := testenv.Tree(t, dir), refTree(t, b, m); !mapsof.Equal(got, want) {
		t.Errorf("after the save: %v\nwant exactly %v", slices.Sorted(mapsof.Keys(got)), slices.Sorted(mapsof.Keys(want)))
	}
	mustLoad(t, dir)

	adapterFile := func(tmp string) error {
		return os.WriteFile(filepath.Join(tmp, "rrra_adapter.safetensors"), []byte("new adapters"), 0o644)
	}
	if err := SaveBiEncoderWith(dir, a, m, adapterFile); err != nil {
		t.Fatal(err)
	}
	want := refTree(t, a, m)
	want["rrra_adapter.safetensors"] = "new adapters"
	if got := testenv.Tree(t, dir); !mapsof.Equal(got, want) {
		t.Errorf("with an extra file: %v", slices.Sorted(mapsof.Keys(got)))
	}
	boom := errors.New("boom")
	if err := SaveBiEncoderWith(dir, b, m, func(string) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("a failing extra: %v", err)
	}
	if got := testenv.Tree(t, dir); !mapsof.Equal(got, want) {
		t.Errorf("after a failing extra the folder changed: %v", slices.Sorted(mapsof.Keys(got)))
	}
}

// TestSaveRefuses checks that a save (of a bi-encoder or a model) refuses,
// touching nothing, a path that is a file and a non-empty folder that is
// not a model folder, and that CheckSaveDir says so beforehand; an empty
// folder and a model folder are accepted.
func TestSaveRefuses(t *testing.T) {
	m, a, _, _ := saveTestModels(t)
	for _, c := range []struct {
		name    string
		files   map[string]string // under the path; nil: the path is a file
		wantErr string
	}{
		{"a regular file", nil, "is not a directory"},
		{"someone's folder", map[string]string{"README.md": "mine", "photos/cat.jpg": "meow"}, "holds none of config.json, rrra_biencoder.json, modules.json"},
		{"an empty folder", map[string]string{}, ""},
		{"a sentence-transformers folder", map[string]string{"modules.json": "[]", "0_Transformer/config.json": "{}"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if c.files == nil {
				if err := os.WriteFile(dir, []byte("a file"), 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				os.Mkdir(dir, 0o755)
				for f, data := range c.files {
					os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
					if err := os.WriteFile(filepath.Join(dir, f), []byte(data), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			check := CheckSaveDir(dir)
			for name, save := range map[string]func() error{
				"SaveBiEncoder": func() error { return SaveBiEncoder(dir, a, m) },
				"Model.Save":    func() error { return m.Save(dir) },
			} {
				err := save()
				if c.wantErr == "" {
					if err != nil || check != nil {
						t.Errorf("%s: %v (CheckSaveDir: %v)", name, err, check)
					}
					continue
				}
				for what, e := range map[string]error{name: err, "CheckSaveDir": check} {
					if e == nil || !strings.Contains(e.Error(), c.wantErr) || !strings.Contains(e.Error(), dir) {
						t.Errorf("%s: %v; want an error naming %s and saying %q", what, e, dir, c.wantErr)
					}
				}
				if c.files == nil {
					if b, err := os.ReadFile(dir); string(b) != "a file" {
						t.Errorf("the file changed: %q %v", b, err)
					}
				} else if got := testenv.Tree(t, dir); len(got) != len(c.files)+1 || got["README.md"] != "mine" || got["photos/cat.jpg"] != "meow" {
					t.Errorf("the folder changed: %v", got)
				}
			}
		})
	}
}
