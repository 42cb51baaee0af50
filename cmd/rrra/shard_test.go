package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/retrieval/datasets"
	"github.com/rrra/rrra/tensor"
)

// TestShardedBuilds builds the embedded Cranfield's indexes in three
// shards, each its own rrra run, and checks that rrra index merge gives
// the unsharded files byte for byte: the exact index (shards encoded by
// the model, and from rrra encode --shard's vectors), and the IVF-SQ8
// index through rrra index train and add. A shard is refused for search,
// and every inconsistent input is refused before any work.
func TestShardedBuilds(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	common := []string{"--data", "cranfield", "--model", tinyModel, "--doc-len", "32"}
	run := func(args ...string) { mustRun(t, args...) }
	same := func(a, b, what string) {
		t.Helper()
		x, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s: %s and %s differ", what, a, b)
		}
	}

	run(append([]string{"index", "--out", p("whole.idx")}, common...)...)
	var parts []string
	for i := 2; i >= 0; i-- { // given to merge in reverse order
		out := p(fmt.Sprintf("part%d.idx", i))
		run(append([]string{"index", "--out", out, "--shard", fmt.Sprintf("%d/3", i), "--threads", fmt.Sprint(1 + i%2)}, common...)...)
		parts = append(parts, out)
	}
	run(append([]string{"index", "merge", "--out", p("merged.idx")}, ins(parts...)...)...)
	same(p("merged.idx"), p("whole.idx"), "merged exact shards")
	if out := mustRun(t, "index", "--stat", parts[0]); !strings.Contains(out, "meta shard:  2/3") || !strings.Contains(out, "documents:   467") {
		t.Errorf("index --stat of shard 2/3:\n%s", out)
	}

	// Vectors encoded by shard, then indexed by shard.
	corpus := p("corpus.jsonl")
	run("encode", "--model", tinyModel, "--input", cranfieldCorpus(t, corpus), "--max-len", "32", "--out", p("all.npy"))
	all, err := tensor.ReadNpyFile(p("all.npy"))
	if err != nil {
		t.Fatal(err)
	}
	var vparts []string
	for i := range 3 {
		npy, out := p(fmt.Sprintf("v%d.npy", i)), p(fmt.Sprintf("v%d.idx", i))
		run("encode", "--model", tinyModel, "--input", corpus, "--max-len", "32", "--out", npy, "--shard", fmt.Sprintf("%d/3", i), "--batch", "17")
		v, err := tensor.ReadNpyFile(npy)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := i*1400/3, (i+1)*1400/3
		d := all.Shape.Dim(1)
		if v.Shape != tensor.S(hi-lo, d) || !bytes.Equal(f32bytes(v.Data), f32bytes(all.Data[lo*d:hi*d])) {
			t.Errorf("encode --shard %d/3: shape %v, or vectors other than rows %d to %d of the whole encoding", i, v.Shape, lo, hi-1)
		}
		run("index", "--data", "cranfield", "--vectors", npy, "--shard", fmt.Sprintf("%d/3", i), "--out", out)
		vparts = append(vparts, out)
	}
	run(append([]string{"index", "merge", "--out", p("vmerged.idx")}, ins(vparts...)...)...)
	run("index", "--data", "cranfield", "--vectors", p("all.npy"), "--out", p("vwhole.idx"))
	// The unsharded index names its .npy; the merged one names none.
	a, b := mustRun(t, "index", "--stat", p("vmerged.idx")), mustRun(t, "index", "--stat", p("vwhole.idx"))
	if strings.Contains(a, "meta vectors:") || !strings.Contains(b, "meta vectors: all.npy") {
		t.Errorf("--stat of the merged and the unsharded index from vectors:\n%s\n%s", a, b)
	}
	search := func(index, out string) []byte {
		mustRun(t, append([]string{"search", "--method", "dense", "--split", "test", "--query-len", "16", "--index", index, "--out", out}, common...)...)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(search(p("vmerged.idx"), p("v.trec")), search(p("whole.idx"), p("w.trec"))) {
		t.Error("the index merged from encode --shard's vectors searches differently from the unsharded one")
	}

	// IVF: one quantizer, shards added with it, merged.
	ivf := []string{"--nlist", "16", "--sq8", "--keep-vectors", "--sample", "600", "--iterations", "6", "--seed", "5"}
	run(append(append([]string{"index", "--type", "ivf", "--out", p("whole.ivf")}, common...), ivf...)...)
	run(append(append([]string{"index", "train", "--out", p("q.ivf")}, common...), ivf...)...)
	var iparts []string
	for i := range 3 {
		out := p(fmt.Sprintf("part%d.ivf", i))
		run(append([]string{"index", "add", "--quantizer", p("q.ivf"), "--shard", fmt.Sprintf("%d/3", i), "--out", out}, common...)...)
		iparts = append(iparts, out)
	}
	run(append([]string{"index", "merge", "--out", p("merged.ivf")}, ins(iparts...)...)...)
	// rrra index --type ivf calibrates its default nprobe on the
	// collection's queries; a merged index is calibrated afterwards.
	calibrate := func(path string) {
		run("index", "calibrate", "--index", path, "--data", "cranfield", "--model", tinyModel)
	}
	calibrate(p("merged.ivf"))
	same(p("merged.ivf"), p("whole.ivf"), "merged IVF shards, calibrated")
	run(append([]string{"index", "add", "--quantizer", p("q.ivf"), "--out", p("added.ivf")}, common...)...)
	calibrate(p("added.ivf"))
	same(p("added.ivf"), p("whole.ivf"), "the whole corpus added to the trained quantizer, calibrated")

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{append([]string{"search", "--method", "dense", "--split", "test", "--index", parts[0], "--out", p("x")}, common...),
			[]string{"is shard 2/3", "merge every shard"}},
		{append([]string{"index", "--out", p("x"), "--shard", "3/3"}, common...), []string{"--shard 3/3", "I must be in [0, 2]"}},
		{append([]string{"index", "--out", p("x"), "--shard", "1"}, common...), []string{`shard "1": want I/N`}},
		{append([]string{"index", "--out", p("x"), "--shard", "0/2", "--type", "ivf"}, common...), []string{"need one quantizer", "rrra index train"}},
		{append([]string{"index", "add", "--out", p("x"), "--quantizer", p("whole.idx")}, common...), []string{"is an exact index, not a quantizer"}},
		{append([]string{"index", "add", "--out", p("x"), "--quantizer", p("whole.ivf")}, common...), []string{"holds 1400 documents"}},
		{append([]string{"index", "add", "--out", p("x"), "--quantizer", p("q.ivf"), "--data", "scifact"}, common[2:]...),
			[]string{"corpus_sha256 differs"}},
		{append([]string{"index", "train", "--out", p("x"), "--nlist", "8", "--sample", "4"}, common...), []string{"--sample 4 is below --nlist 8"}},
		{append([]string{"index", "train", "--out", p("x"), "--keep-vectors"}, common...), []string{"--keep-vectors goes with --sq8"}},
		{append([]string{"index", "train", "--out", p("x"), "--nlist", "2000"}, common...), []string{"--nlist 2000 for 1400 documents"}},
		{append([]string{"index", "merge", "--out", p("x")}, ins(parts[0], parts[1])...), []string{"shard 0/3 is missing"}},
		{append([]string{"index", "merge", "--out", p("x")}, ins(parts[0], parts[1], parts[2], parts[1])...), []string{"are both shard 1/3"}},
		{append([]string{"index", "merge", "--out", p("x")}, ins(p("whole.idx"), parts[0])...), []string{"whole.idx is not a shard's index"}},
		{append([]string{"index", "merge", "--out", p("x")}, ins(iparts[0], parts[1], parts[0])...), []string{"exact and IVF indexes together"}},
		{[]string{"index", "merge", "--out", p("x")}, []string{"at least one --in shard file"}},
		{[]string{"index", "calibrate", "--index", p("whole.idx"), "--data", "cranfield", "--model", tinyModel, "--out", p("x")}, []string{"is an exact index"}},
		{[]string{"index", "calibrate", "--index", p("merged.ivf"), "--data", "scifact", "--model", tinyModel, "--out", p("x")}, []string{"vectors of dimension"}},
		{[]string{"encode", "--model", tinyModel, "--input", corpus, "--out", p("x"), "--shard", "0/0"}, []string{"--shard 0/0", "N must be in"}},
	} {
		code, _, stderr := cli(tc.args...)
		if code == 0 || strings.Contains(stderr, "panic") {
			t.Errorf("rrra %s: exit %d\n%s", strings.Join(tc.args, " "), code, stderr)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("rrra %s: no %q in\n%s", strings.Join(tc.args, " "), w, stderr)
			}
		}
		if _, err := os.Stat(p("x")); err == nil {
			t.Errorf("rrra %s left its output behind", strings.Join(tc.args, " "))
		}
	}
}

// ins returns "--in" before each path.
func ins(paths ...string) []string {
	var a []string
	for _, p := range paths {
		a = append(a, "--in", p)
	}
	return a
}

// f32bytes returns v's bits, for exact comparison.
func f32bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// cranfieldCorpus writes the embedded Cranfield corpus, uncompressed, to
// path and returns path.
func cranfieldCorpus(t *testing.T, path string) string {
	t.Helper()
	fsys, err := datasets.Open("cranfield")
	if err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open("corpus.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestShardedMine mines SimANS negatives for Cranfield's training queries
// in three shards, each its own rrra run, and checks that the run over
// their parts writes the unsharded run's file byte for byte.
func TestShardedMine(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	common := []string{"--data", "cranfield", "--model", tinyModel, "--doc-len", "32", "--query-len", "16", "--sampler", "simans", "--negatives", "4", "--seed", "9"}
	mustRun(t, append([]string{"mine", "--out", p("whole.jsonl")}, common...)...)
	var parts []string
	for _, i := range []int{1, 0, 2} {
		out := p(fmt.Sprintf("part%d.pool", i))
		mustRun(t, append([]string{"mine", "--out", out, "--shard", fmt.Sprintf("%d/3", i), "--threads", fmt.Sprint(1 + i%2)}, common...)...)
		parts = append(parts, "--pool", out)
	}
	mustRun(t, append(append([]string{"mine", "--out", p("merged.jsonl")}, common...), parts...)...)
	a, err := os.ReadFile(p("whole.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p("merged.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("mining from merged parts gives another file (%d bytes) than mining the whole corpus (%d bytes)", len(b), len(a))
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append([]string{"mine", "--out", p("x"), "--pool", p("part0.pool"), "--pool", p("part1.pool")}, common...), "shard 2/3 is missing"},
		{append([]string{"mine", "--out", p("x"), "--pool", p("whole.jsonl")}, common...), "not a partial pool"},
		{append([]string{"mine", "--out", p("x"), "--shard", "0/2", "--pool", p("part0.pool")}, common...), "one or the other"},
		{[]string{"mine", "--data", "cranfield", "--sampler", "bm25", "--shard", "0/2", "--out", p("x")}, "needs the whole corpus's statistics"},
		{append(append([]string{"mine", "--out", p("x"), "--data", "scifact"}, common[2:]...), parts...), "mined from another corpus"},
		{append(append([]string{"mine", "--out", p("x"), "--sampler-params", "k=50"}, common...), parts...), "takes 50"},
	} {
		code, _, stderr := cli(tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "panic") {
			t.Errorf("rrra %s: exit %d, want an error containing %q:\n%s", strings.Join(tc.args, " "), code, tc.want, stderr)
		}
		if _, err := os.Stat(p("x")); err == nil {
			t.Errorf("rrra %s left its output behind", strings.Join(tc.args, " "))
		}
	}
}
