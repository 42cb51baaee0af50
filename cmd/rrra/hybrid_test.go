package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/internal/testenv"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/metrics"
)

// TestSearchHybridLearnedFusion checks rrra search --method hybrid ranks
// with the model folder's learned fusion when it has one, exactly as the
// library's HybridRanker does, says so, and falls back to reciprocal rank
// fusion (and says so) without one; a malformed fusion file and --rerank
// with a fusion are refused before the collection is read.
func TestSearchHybridLearnedFusion(t *testing.T) {
	e := newConsistencyEnv(t)
	// A fusion fitted on random features: what it ranks by does not
	// matter here, only that search and the library agree.
	r := rand.New(rand.NewPCG(4, 4))
	var qs []adapter.FusionQuery
	for range 5 {
		var q adapter.FusionQuery
		for i := range 10 {
			x := make([]float32, len(adapter.FusionFeatureNames))
			for j := range x {
				x[j] = float32(r.NormFloat64())
			}
			q.Feats, q.Gain = append(q.Feats, x), append(q.Gain, float32(i%3/2))
		}
		qs = append(qs, q)
	}
	f, err := adapter.TrainFusion(qs, adapter.FusionConfig{Hidden: 4, Epochs: 30, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(e.dir, "rrf.trec")
	search := []string{"search", "--data", e.data, "--method", "hybrid", "--model", e.model, "--k", "3"}
	_, _, stderr := runCatching(append(search, "--out", out))
	if !strings.Contains(stderr, "hybrid: reciprocal rank fusion") {
		t.Errorf("without a fusion file the log does not say RRF:\n%s", stderr)
	}
	fpath := filepath.Join(e.model, adapter.FusionFile)
	if err := f.Save(fpath); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(e.dir, "learned.trec")
	code, _, stderr := runCatching(append(search, "--out", out))
	if code != 0 || !strings.Contains(stderr, "hybrid: the learned fusion of "+fpath) {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}

	// The library's ranking of the same queries.
	enc, err := retrieval.LoadEncoder(e.model, retrieval.EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fsys, name, err := beir.Open(e.data)
	if err != nil {
		t.Fatal(err)
	}
	d, err := beir.Load(fsys, name, beir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	qrels, _, err := d.Qrels("test")
	if err != nil {
		t.Fatal(err)
	}
	qids, texts := retrieval.QueryTexts(d.SplitQueries(qrels))
	corpus := retrieval.NewCorpusData(d)
	ix, err := retrieval.IndexCorpus(enc, corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	qv, err := enc.Queries(texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &adapter.HybridRanker{Index: ix, BM25: retrieval.BuildBM25(corpus), K: 100, Scale: enc.LogitScale(), Fusion: f}
	run, err := h.Search(qids, texts, qv, 3)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := metrics.WriteRun(&want, run, "hybrid"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("search wrote\n%s\nthe library ranks\n%s", got, want.Bytes())
	}

	// Refusals, before the collection is read.
	code, _, stderr = runCatching(append(search, "--rerank", "0.25", "--out", filepath.Join(e.dir, "x.trec"), "--quiet"))
	if code != 1 || !strings.Contains(stderr, "--rerank with the learned fusion") || strings.Contains(stderr, "rows kept") {
		t.Errorf("--rerank with a fusion: exit %d:\n%s", code, stderr)
	}
	if err := os.WriteFile(fpath, []byte("not a safetensors file"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCatching(append(search, "--out", filepath.Join(e.dir, "y.trec")))
	if code != 1 || !strings.Contains(stderr, fpath) || strings.Contains(stderr, "rows kept") {
		t.Errorf("a malformed fusion file: exit %d:\n%s", code, stderr)
	}
}

// TestTrainFusion trains with --fusion (two more models on the halves of
// the training queries, then the fusion) and checks the folder holds a
// fusion that loads, written in the same swap as the model, and that
// search --method hybrid then ranks with it.
func TestTrainFusion(t *testing.T) {
	testenv.RequireE2E(t)
	// A stateless sampler, and the RRRA sampler (the commands' default
	// parameters), which each half trains with an instance of its own:
	// the folder then holds the main run's adapters and the fusion.
	for _, smp := range [][]string{{"--sampler", "random"}, {"--sampler", "rrra", "--refresh", "1"}} {
		dir := t.TempDir()
		out := filepath.Join(dir, "model")
		args := append([]string{"train", "--data", "cranfield", "--model", tinyModel, "--steps", "2", "--batch", "4",
			"--doc-len", "32", "--query-len", "16", "--fusion", "--out", out}, smp...)
		code, _, stderr := runCatching(args)
		if code != 0 || !strings.Contains(stderr, "fusion: chose hidden") || !strings.Contains(stderr, "fusion: trained on half 2") {
			t.Fatalf("%v: exit %d:\n%s", smp, code, stderr)
		}
		if _, err := adapter.LoadFusion(filepath.Join(out, adapter.FusionFile)); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(out, adapter.File)); (err == nil) != (smp[1] == "rrra") {
			t.Errorf("%v: adapters in the folder: %v", smp, err)
		}
		code, _, stderr = runCatching([]string{"search", "--data", "cranfield", "--method", "hybrid", "--model", out, "--doc-len", "32",
			"--query-len", "16", "--out", filepath.Join(dir, "run.trec")})
		if code != 0 || !strings.Contains(stderr, "hybrid: the learned fusion of") {
			t.Fatalf("%v: search: exit %d:\n%s", smp, code, stderr)
		}
	}
}

// TestTrainFusionRefused checks --fusion is refused, before any work,
// where it cannot fit: without labelled queries, or with a training
// file's fixed negatives.
func TestTrainFusionRefused(t *testing.T) {
	for _, extra := range [][]string{{"--crops"}, {"--train-file", "x.jsonl"}} {
		args := append([]string{"train", "--data", "/nonexistent", "--fusion", "--out", filepath.Join(t.TempDir(), "m")}, extra...)
		code, _, stderr := runCatching(append(args, "--quiet"))
		if code != 1 || !strings.Contains(stderr, "--fusion fits on labelled training queries") {
			t.Errorf("rrra %s: exit %d:\n%s", strings.Join(args, " "), code, stderr)
		}
	}
}
