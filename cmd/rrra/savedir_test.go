package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rrra/rrra/internal/testenv"
	"github.com/rrra/rrra/nn"
)

// tinyData is the smallest BEIR folder of the tests: three documents, a
// training query; rrra train runs a step on it in milliseconds.
var tinyData = filepath.Join("testdata", "bad", "base")

// TestTrainReplacesFolder checks that rrra train replaces its --out folder
// whole: a second run into a folder that held a model with an adapter
// file (which the next reranked search would load) leaves no adapter
// behind; a folder that is not a model folder, a checkpoint inside --out
// and a folder another writer holds are refused, the first two before
// any training, and the folder is left as it was.
func TestTrainReplacesFolder(t *testing.T) {
	train := func(out string, more ...string) (int, string) {
		code, _, stderr := cli(append([]string{"train", "--data", tinyData, "--config", "mini", "--steps", "1", "--out", out}, more...)...)
		return code, stderr
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	if code, stderr := train(model); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	adapterFile := filepath.Join(model, "rrra_adapter.safetensors")
	if err := os.WriteFile(adapterFile, []byte("the adapters of an earlier RRRA run"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stderr := train(model, "--sampler", "topk-uniform"); code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(adapterFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the earlier run's adapter file is still in the folder: %v", err)
	}
	if _, _, _, err := nn.LoadBiEncoder(model); err != nil {
		t.Fatal(err)
	}

	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(filepath.Join(home, "photos"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "README.md"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".model.lock"), os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	for _, c := range []struct {
		name   string
		out    string
		more   []string
		held   bool // another writer holds the folder's lock
		code   int
		want   string // in stderr
		before bool   // refused before training
	}{
		{"not a model folder", home, nil, false, 1, "holds none of config.json, rrra_biencoder.json, modules.json", true},
		{"checkpoint inside --out", model, []string{"--checkpoint", filepath.Join(model, "train.ckpt")}, false, 1, "is inside --out", true},
		{"another writer", model, nil, true, 1, "another process is writing " + model, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFiles := folderFiles(t, c.out)
			if c.held {
				if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
					t.Fatal(err)
				}
				defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
			}
			code, stderr := train(c.out, c.more...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, want %d, saying %q:\n%s", code, c.code, c.want, stderr)
			}
			if trained := strings.Contains(stderr, "step "); c.before && trained {
				t.Errorf("refused only after training:\n%s", stderr)
			}
			if got := folderFiles(t, c.out); got != wantFiles {
				t.Errorf("the folder changed:\n%s\nwas\n%s", got, wantFiles)
			}
		})
	}
}

// folderFiles lists the files under dir with their sizes and contents'
// first bytes, one a line, for comparing a folder before and after.
func folderFiles(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		b.WriteString(path + " " + string(data) + "\n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestOutputsTogether checks that rrra index (--npy and --out) and rrra
// audit (--out and --tsv) write their files all or nothing: when the
// second cannot be written after the command did its work (a name with
// no room for the temporary file's, a full disk), the command fails and
// the first is not created either, and no temporary file is left.
func TestOutputsTogether(t *testing.T) {
	for _, cmd := range []struct {
		name string
		args func(first, second string) []string
	}{
		{"index", func(first, second string) []string {
			return []string{"index", "--data", tinyData, "--model", tinyModel, "--npy", first, "--out", second}
		}},
		{"audit", func(first, second string) []string {
			return []string{"audit", "--data", "cranfield", "--model", filepath.Join("..", "..", "retrieval", "testdata", "mini-model"),
				"--doc-len", "32", "--k", "20", "--rrra-params", "epochs=2", "--out", first, "--tsv", second}
		}},
	} {
		for _, failure := range []struct {
			name   string
			second func(t *testing.T) string // a path the command cannot write
		}{
			// 240 characters: a legal name, but .NAME.tmp-RANDOM is
			// over the 255 a file name may have.
			{"name too long", func(t *testing.T) string { return filepath.Join(t.TempDir(), strings.Repeat("n", 240)) }},
			{"disk full", func(t *testing.T) string {
				mnt := testenv.SmallTmpfs(t, 64<<10)
				testenv.FillDisk(t, mnt, 0)
				return filepath.Join(mnt, "second")
			}},
		} {
			t.Run(cmd.name+"/"+failure.name, func(t *testing.T) {
				second := failure.second(t)
				dir := t.TempDir()
				first := filepath.Join(dir, "first")
				code, _, stderr := cli(cmd.args(first, second)...)
				if code != 1 {
					t.Fatalf("exit %d, want 1:\n%s", code, stderr)
				}
				if _, err := os.Stat(first); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the first output was written though the second failed: %v\n%s", err, stderr)
				}
				for _, d := range []string{dir, filepath.Dir(second)} {
					entries, _ := os.ReadDir(d)
					for _, e := range entries {
						if strings.Contains(e.Name(), ".tmp-") {
							t.Errorf("temporary file left: %s", filepath.Join(d, e.Name()))
						}
					}
				}
			})
		}
	}
}
