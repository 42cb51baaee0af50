package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/tensor"
)

// TestMain lets the test binary stand in for the rrra binary: with
// RRRA_TEST_AS_RRRA=1 in its environment it runs the command line it was
// given, as rrra would, and exits. The kill-and-resume harness re-executes
// the binary this way, so it kills a real process.
func TestMain(m *testing.M) {
	if os.Getenv("RRRA_TEST_AS_RRRA") == "1" {
		code := run(os.Args[1:], os.Stdout, os.Stderr)
		// The peak resident memory of this process alone (the kernel's
		// maxrss of a child counts its parent's before exec).
		if b, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(line, "VmHWM:") {
					fmt.Fprintln(os.Stderr, line)
				}
			}
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// child starts this binary as "rrra args...".
func child(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RRRA_TEST_AS_RRRA=1")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// finish waits for a child and fails the test if it did not succeed.
func finish(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rrra %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, cmd.Stderr.(*bytes.Buffer).String())
	}
}

// killAfter lets cmd run for d, or until writing(), polled every half
// millisecond, says a file is being written (when writing is not nil),
// then kills it with SIGKILL unless it has ended; it reports whether it
// killed it, and fails the test if the process ended by itself with an
// error.
func killAfter(t *testing.T, cmd *exec.Cmd, d time.Duration, writing func() bool) bool {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(d)
	tick := time.NewTicker(500 * time.Microsecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("rrra %s failed on its own: %v\n%s", strings.Join(cmd.Args[1:], " "), err, cmd.Stderr.(*bytes.Buffer).String())
			}
			return false
		case <-deadline:
			break wait
		case <-tick.C:
			if writing != nil && writing() {
				break wait
			}
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	err := <-done
	var ee *exec.ExitError
	if err == nil {
		return false // it finished just before the signal
	}
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("rrra %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, cmd.Stderr.(*bytes.Buffer).String())
	}
	return true
}

// writeWatcher returns a function that reports whether a write to one of
// the targets is under way: an atomic write's temporary file exists in
// dir, or a target's size or modification time changed since the last
// call (which is how a write in place would show).
func writeWatcher(dir string, targets ...string) func() bool {
	last := map[string]string{}
	look := func() bool {
		changed := false
		for _, p := range targets {
			st, err := os.Stat(p)
			now := "absent"
			if err == nil {
				now = fmt.Sprint(st.Size(), st.ModTime().UnixNano())
			}
			if old, seen := last[p]; seen && old != now {
				changed = true
			}
			last[p] = now
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				return true
			}
		}
		return changed
	}
	look()
	return look
}

// checkDir checks that every file under dir is whole: a checkpoint or
// safetensors file parses, a JSON file decodes, an index loads with its
// checksum, a vocabulary has [PAD]..[MASK]; and that at most maxTemps
// temporary files of atomic writes are left per target (one per kill
// since the target's last successful write, which removes them; 0 after
// a run that finished). It returns the checkpoint's step (-1 when there
// is none).
func checkDir(t *testing.T, dir, ckpt string, maxTemps int) int {
	t.Helper()
	step := -1
	temps := map[string]int{}
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".lock") {
			return nil // the lock file of a model folder's writes, empty
		}
		if i := strings.Index(name, ".tmp-"); strings.HasPrefix(name, ".") && i > 0 {
			temps[filepath.Join(filepath.Dir(path), name[1:i])]++
			return nil
		}
		switch {
		case path == ckpt:
			f, err := tensor.ReadSafetensorsFile(path)
			if err != nil {
				return err
			}
			if f.Metadata["format"] != nn.CheckpointFormat {
				return fmt.Errorf("%s: format %q", path, f.Metadata["format"])
			}
			if step, err = strconv.Atoi(f.Metadata["step"]); err != nil {
				return fmt.Errorf("%s: step: %w", path, err)
			}
		case strings.HasSuffix(name, ".safetensors"):
			if _, err := tensor.ReadSafetensorsFile(path); err != nil {
				return err
			}
		case strings.HasSuffix(name, ".json"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if !json.Valid(b) {
				return fmt.Errorf("%s: not whole JSON (%d bytes)", path, len(b))
			}
		case strings.HasSuffix(name, ".idx"):
			ix, err := index.Load(path, index.LoadOptions{})
			if err != nil {
				return err
			}
			ix.Close()
		case name == "vocab.txt":
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, tok := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
				if !bytes.Contains(b, []byte(tok+"\n")) {
					return fmt.Errorf("%s: no %s", path, tok)
				}
			}
		default:
			return fmt.Errorf("%s: a file the harness does not know", path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("after a kill: %v", err)
	}
	for target, n := range temps {
		if n > maxTemps {
			t.Errorf("%d temporary files of %s are left behind", n, target)
		}
	}
	return step
}

// TestKillAndResume kills training and indexing with SIGKILL at random
// points, at least 20 times in all. After every kill each file on disk
// must be whole (the previous version or the new one, never a torn one),
// the checkpoint's step must never go back, and running the same command
// again must end with files byte-identical to an uninterrupted run's
// (same thread count).
func TestKillAndResume(t *testing.T) {
	requireE2E(t)
	if testing.Short() {
		t.Skip("trains and indexes on Cranfield dozens of times in child processes: full suite only")
	}
	dir := t.TempDir()
	train := func(out, ckpt string) []string {
		return []string{"train", "--data", "cranfield", "--config", "mini", "--vocab-size", "800", "--steps", "24", "--batch", "8",
			"--negatives", "1", "--doc-len", "32", "--sampler", "topk-uniform", "--refresh", "8", "--checkpoint-every", "2",
			"--threads", "2", "--quiet", "--out", out, "--checkpoint", ckpt}
	}
	ref := filepath.Join(dir, "ref")
	began := time.Now()
	finish(t, child(t, train(ref, filepath.Join(dir, "ref.ckpt"))...))
	trainTime := time.Since(began)
	indexArgs := func(out string) []string {
		return []string{"index", "--data", "cranfield", "--model", ref, "--doc-len", "32", "--threads", "2", "--quiet", "--out", out}
	}
	began = time.Now()
	finish(t, child(t, indexArgs(filepath.Join(dir, "ref.idx"))...))
	indexTime := time.Since(began)

	rng := rand.New(rand.NewPCG(7, 7))
	kills := map[string]int{}
	// Training: kill at a random point within a whole run's time, run
	// again (it resumes from the checkpoint), until a run finishes by
	// itself; repeat in a fresh folder until there were at least 12 kills.
	for round := 0; kills["train"] < 12; round++ {
		work := filepath.Join(dir, fmt.Sprintf("train%d", round))
		os.MkdirAll(work, 0o755)
		out, ckpt := filepath.Join(work, "model"), filepath.Join(work, "train.ckpt")
		last := -1
		for attempt := 0; ; attempt++ {
			if attempt > 60 {
				t.Fatalf("round %d: the run has not finished after %d kills", round, attempt)
			}
			// Every other kill comes at the first sign of a checkpoint
			// (or model file) being written.
			var writing func() bool
			if attempt%2 == 1 {
				writing = writeWatcher(work, ckpt)
			}
			cmd := child(t, train(out, ckpt)...)
			if !killAfter(t, cmd, time.Duration(rng.Float64()*float64(trainTime)), writing) {
				break
			}
			kills["train"]++
			step := checkDir(t, work, ckpt, attempt+1)
			if step < last {
				t.Fatalf("the checkpoint went back from step %d to %d", last, step)
			}
			last = step
		}
		checkDir(t, work, ckpt, 0)
		sameFiles(t, ref, out)
	}
	// Indexing: no resume; the index file is absent or whole after a
	// kill, and the next run writes it whole.
	for kills["index"] < 10 {
		work := filepath.Join(dir, fmt.Sprintf("index%d", kills["index"]))
		os.MkdirAll(work, 0o755)
		out := filepath.Join(work, "cranfield.idx")
		if kills["index"]%2 == 1 { // an old index in place, to be replaced
			b, err := os.ReadFile(filepath.Join(dir, "ref.idx"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(out, b, 0o644)
		}
		var writing func() bool
		if kills["index"]%4 >= 2 {
			writing = writeWatcher(work, out)
		}
		if killAfter(t, child(t, indexArgs(out)...), time.Duration(rng.Float64()*float64(indexTime)), writing) {
			kills["index"]++
		}
		checkDir(t, work, "", 1)
		finish(t, child(t, indexArgs(out)...))
		checkDir(t, work, "", 0)
		sameFiles(t, filepath.Join(dir, "ref.idx"), out)
	}
	t.Logf("SIGKILLs: %d during training (whole run %v), %d during indexing (whole run %v)",
		kills["train"], trainTime.Round(time.Millisecond), kills["index"], indexTime.Round(time.Millisecond))
}

// sameFiles checks that got (a file or a folder) has the same files with
// the same bytes as want.
func sameFiles(t *testing.T, want, got string) {
	t.Helper()
	err := filepath.WalkDir(want, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(want, path)
		other := filepath.Join(got, rel)
		if rel == "." {
			other = got
		}
		a, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(other)
		if err != nil {
			return err
		}
		if !bytes.Equal(a, b) {
			return fmt.Errorf("%s differs from the uninterrupted run's %s", other, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
