package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIVFCommands builds exact and IVF indexes of the embedded Cranfield
// with the tiny model and checks that: an IVF-Flat index probed in full
// gives the exact index's run byte for byte; an SQ8 index with its vectors
// kept and re-scored in full does too; a partial probe gives a run of the
// same queries; --stat says what each file is; and every inconsistent
// combination of flags is refused before any work, naming the flags.
func TestIVFCommands(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	common := []string{"--data", "cranfield", "--model", tinyModel, "--doc-len", "32"}
	idx := func(out string, extra ...string) {
		mustRun(t, append(append([]string{"index"}, common...), append([]string{"--out", out}, extra...)...)...)
	}
	idx(p("flat.idx"))
	idx(p("ivf.idx"), "--type", "ivf", "--nlist", "16", "--iterations", "5")
	idx(p("sq8.idx"), "--type", "ivf", "--nlist", "16", "--sq8", "--keep-vectors", "--seed", "3", "--calibrate", "0")
	search := func(out string, extra ...string) []byte {
		mustRun(t, append(append([]string{"search", "--method", "dense", "--split", "test", "--query-len", "16"}, common...),
			append([]string{"--out", out}, extra...)...)...)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	exact := search(p("flat.trec"), "--index", p("flat.idx"))
	if got := search(p("ivf.trec"), "--index", p("ivf.idx"), "--nprobe", "16"); string(got) != string(exact) {
		t.Error("an IVF-Flat index probed in full gives another run than the exact index")
	}
	if got := search(p("sq8.trec"), "--index", p("sq8.idx"), "--nprobe", "16", "--rescore", "1400"); string(got) != string(exact) {
		t.Error("an SQ8 index probed and re-scored in full gives another run than the exact index")
	}
	// A partial probe returns only what its lists hold (the tiny model's
	// vectors cluster unevenly), never more than the exact run.
	part := search(p("part.trec"), "--index", p("ivf.idx"), "--nprobe", "2")
	if n, m := strings.Count(string(part), "\n"), strings.Count(string(exact), "\n"); n == 0 || n > m {
		t.Errorf("a partial probe returns %d lines, the exact index %d", n, m)
	}

	for _, tc := range []struct {
		file string
		want []string
	}{
		{p("flat.idx"), []string{"type:        flat (exact)", "documents:   1400"}},
		{p("ivf.idx"), []string{"type:        ivf (IVF-Flat, float32 vectors)", "lists:       16", "k-means:     5 rounds", "meta model_sha256:"}},
		{p("sq8.idx"), []string{"IVF-SQ8, byte codes and float32 vectors", "seed 3", "nprobe:      2 by default (search --nprobe), an eighth of the lists: not calibrated"}},
		{p("ivf.idx"), []string{"calibrated: recall@10", "on 225 queries (target 0.99)", "meta nprobe:"}},
	} {
		out := mustRun(t, "index", "--stat", tc.file)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("index --stat %s: no %q in\n%s", tc.file, w, out)
			}
		}
	}

	idx(p("sq8only.idx"), "--type", "ivf", "--nlist", "8", "--sq8")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{append([]string{"index", "--out", p("x"), "--nlist", "8"}, common...), []string{"--nlist builds an IVF index; add --type ivf"}},
		{append([]string{"index", "--out", p("x"), "--sq8"}, common...), []string{"--sq8 builds an IVF index"}},
		{append([]string{"index", "--out", p("x"), "--type", "ivf", "--keep-vectors"}, common...), []string{"--keep-vectors goes with --sq8"}},
		{append([]string{"index", "--out", p("x"), "--type", "hnsw"}, common...), []string{`--type "hnsw": want flat or ivf`}},
		{append([]string{"index", "--out", p("x"), "--type", "ivf", "--nlist", "2000"}, common...), []string{"--nlist 2000 for 1400 documents"}},
		{append([]string{"index", "--out", p("x"), "--type", "ivf", "--nlist", "8", "--sample", "4"}, common...), []string{"--sample 4 is below --nlist 8"}},
		{append([]string{"index", "--out", p("x"), "--type", "ivf", "--iterations", "1001"}, common...), []string{"--iterations 1001"}},
		{[]string{"index", "--stat", p("ivf.idx"), "--threads", "1"}, []string{"--stat FILE takes no other flag"}},
		{append([]string{"search", "--method", "dense", "--out", p("x"), "--index", p("flat.idx"), "--nprobe", "4"}, common...),
			[]string{p("flat.idx"), "is an exact index", "--nprobe"}},
		{append([]string{"search", "--method", "dense", "--out", p("x"), "--nprobe", "4"}, common...), []string{"give one with --index"}},
		{append([]string{"search", "--method", "dense", "--out", p("x"), "--index", p("sq8only.idx"), "--rescore", "50"}, common...),
			[]string{p("sq8only.idx"), "does not keep float32 vectors"}},
		{append([]string{"search", "--method", "dense", "--out", p("x"), "--index", p("ivf.idx"), "--nprobe", "-1"}, common...), []string{"--nprobe -1"}},
	} {
		// Usage errors exit 2, errors found in the files 1.
		code, _, stderr := runCatching(append(tc.args, "--quiet"))
		if code != 1 && code != 2 {
			t.Errorf("rrra %s: exit %d, want 1 or 2\n%s", strings.Join(tc.args, " "), code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("rrra %s: message does not contain %q:\n%s", strings.Join(tc.args, " "), w, stderr)
			}
		}
		if _, err := os.Stat(p("x")); err == nil {
			t.Errorf("rrra %s left its output behind", strings.Join(tc.args, " "))
		}
	}
}
