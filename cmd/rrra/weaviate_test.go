package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rrra/rrra/internal/weaviatetest"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/metrics"
	"github.com/rrra/rrra/retrieval/weaviate"
)

// TestWeaviate runs rrra beside a real Weaviate server on loopback, with
// the embedded Cranfield and a briefly trained model:
//
//   - rrra export into a flat (exact) class, killed midway and run again:
//     it resumes from its state file and the class ends with every
//     document once;
//   - search --engine over the flat class gives rrra's own dense run and
//     its --rerank run: the same documents in the same order (up to
//     near-ties) with scores within 1e-5;
//   - over an HNSW class, the engine's top 100 recall at least 98% of the
//     exact top 100;
//   - the engine's own BM25 run, another system's, is reranked by
//     rrra rerank;
//   - a class of another model, a missing class and an export of
//     another model into a class are refused.
func TestWeaviate(t *testing.T) {
	node := weaviatetest.Start(t)
	f := newIndexedFixture(t)
	dir, model, p, common := f.dir, f.model, f.path, f.common
	class := func(name string) string { return "weaviate://" + node.Addr() + "/" + name }

	// Export, killed once the state file shows a batch done, then
	// resumed: the batch it had in flight is sent again last and checked
	// in the vector index.
	state := p("flat.state")
	export := append([]string{"export", "--index", p("cran.idx"), "--to", class("CranFlat"), "--vector-index", "flat", "--batch", "10", "--state", state}, common...)
	cmd := child(t, export...)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var st struct{ Done int }
		if b, err := os.ReadFile(state); err == nil && json.Unmarshal(b, &st) == nil && st.Done > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no state file after two minutes:\n%s", cmd.Stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	st, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	_, stderr := rrra(t, export...)
	if !strings.Contains(stderr, "into the existing class, resuming after") || !strings.Contains(stderr, "10 documents that an earlier export may have had in flight checked") || !strings.Contains(stderr, "the class holds 1400") {
		t.Errorf("resumed export (state before: %s):\n%s", st, stderr)
	}
	t.Logf("killed export's state: %s; resumed: %s", st, lastLine(stderr))
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state file left after the export completed: %v", err)
	}

	// Exact: the engine's run is rrra's, plain and reranked.
	search := append([]string{"search", "--method", "dense", "--k", "100"}, common...)
	mustRun(t, append(search, "--index", p("cran.idx"), "--out", p("local.trec"))...)
	mustRun(t, append(search, "--engine", class("CranFlat"), "--out", p("engine.trec"))...)
	swaps := sameRanking(t, "flat engine vs rrra", readRunFile(t, p("engine.trec")), readRunFile(t, p("local.trec")), 1e-5)
	rerank := []string{"--rerank", "0.5", "--rerank-k", "100"}
	mustRun(t, append(append(search, rerank...), "--index", p("cran.idx"), "--out", p("local-rr.trec"))...)
	mustRun(t, append(append(search, rerank...), "--engine", class("CranFlat"), "--out", p("engine-rr.trec"))...)
	swaps += sameRanking(t, "flat engine reranked vs rrra reranked", readRunFile(t, p("engine-rr.trec")), readRunFile(t, p("local-rr.trec")), 1e-5)
	t.Logf("flat class: 90 queries × 100 results, plain and reranked, equal to rrra's within 1e-5; %d near-tie inversions or differences at the cut (within 1e-5)", swaps)

	// Approximate: HNSW's recall of the exact top 100.
	mustRun(t, append([]string{"export", "--index", p("cran.idx"), "--to", class("CranHNSW"), "--state", p("hnsw.state")}, common...)...)
	mustRun(t, append(search, "--engine", class("CranHNSW"), "--out", p("hnsw.trec"))...)
	exact, approx := readRunFile(t, p("local.trec")), readRunFile(t, p("hnsw.trec"))
	found, all := 0, 0
	for q, res := range exact {
		in := make(map[string]bool)
		for _, r := range approx[q] {
			in[r.DocID] = true
		}
		for _, r := range res {
			if in[r.DocID] {
				found++
			}
			all++
		}
	}
	recall := float64(found) / float64(all)
	t.Logf("HNSW class: recall@100 of the exact top 100 %.4f (%d of %d)", recall, found, all)
	if recall < 0.98 {
		t.Errorf("HNSW recall@100 %.4f, want ≥ 0.98", recall)
	}

	// Another system's run: Weaviate's own BM25, reranked by rrra.
	ctx := context.Background()
	target, err := weaviate.ParseTarget(class("CranFlat"))
	if err != nil {
		t.Fatal(err)
	}
	c := weaviate.NewClient(target, nil)
	fsys, name, err := beir.Open("cranfield")
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
	bm := make(metrics.Run)
	for _, q := range d.SplitQueries(qrels) {
		res, err := c.BM25(ctx, q.Text, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			bm[q.ID] = append(bm[q.ID], metrics.Result{DocID: r.DocID, Score: float64(r.Score)})
		}
	}
	var buf bytes.Buffer
	if err := metrics.WriteRun(&buf, bm, "weaviate-bm25"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("wv-bm25.trec"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr = rrra(t, append([]string{"rerank", "--index", p("cran.idx"), "--run", p("wv-bm25.trec"), "--rerank-k", "50", "--out", p("wv-bm25-rr.trec")}, common...)...)
	rr := readRunFile(t, p("wv-bm25-rr.trec"))
	if len(rr) != len(bm) || !strings.Contains(stderr, "reranked on test: nDCG@10") {
		t.Errorf("rerank of Weaviate's BM25 run: %d queries of %d\n%s", len(rr), len(bm), stderr)
	}
	for q, res := range rr {
		if len(res) != min(50, len(bm[q])) {
			t.Fatalf("query %s: %d reranked, want %d", q, len(res), min(50, len(bm[q])))
		}
	}
	t.Logf("Weaviate's BM25 run reranked by rrra rerank: %s", strings.Join(grepLines(stderr, "on test:"), "; "))

	// Refusals, before any search.
	other := filepath.Join(dir, "other")
	mustRun(t, "train", "--data", "cranfield", "--out", other, "--config", "mini", "--vocab-size", "800",
		"--steps", "3", "--batch", "8", "--negatives", "2", "--doc-len", "32", "--seed", "2")
	mustFail(t, p("never.trec"), []string{"another model"},
		"search", "--data", "cranfield", "--method", "dense", "--model", other, "--engine", class("CranFlat"), "--out", p("never.trec"))
	mustFail(t, p("never.trec"), []string{"dimension 64", "gives 32"},
		"search", "--data", "cranfield", "--method", "dense", "--model", tinyModel, "--engine", class("CranFlat"), "--out", p("never.trec"))
	mustFail(t, p("never.trec"), []string{"no such class", "rrra export"},
		append(search, "--engine", class("Nothing"), "--out", p("never.trec"))...)
	mustFail(t, "", []string{"another collection", "model_sha256"},
		"export", "--data", "cranfield", "--model", other, "--to", class("CranFlat"), "--vector-index", "flat", "--state", p("other.state"))
	if code, _, stderr := runCatching([]string{"search", "--method", "dense", "--model", model, "--engine", class("CranFlat"), "--index", p("cran.idx"), "--out", p("never.trec")}); code != 2 || !strings.Contains(stderr, "--engine takes the place of --index") {
		t.Errorf("--engine with --index: exit %d\n%s", code, stderr)
	}
}

// lastLine returns s's last non-empty line.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}
