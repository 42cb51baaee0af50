package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/retrieval/metrics"
)

// trainedModel trains a mini bi-encoder with the RRRA sampler on the
// embedded Cranfield for 10 steps (about a second) into dir/model: its
// vectors tell documents apart, unlike the untrained tiny model's, and
// it has the adapter that reranking reads.
func trainedModel(t *testing.T, dir string) string {
	t.Helper()
	model := filepath.Join(dir, "model")
	mustRun(t, "train", "--data", "cranfield", "--out", model, "--config", "mini", "--vocab-size", "800",
		"--steps", "10", "--batch", "8", "--negatives", "2", "--doc-len", "32", "--refresh", "5",
		"--sampler", "rrra", "--sampler-params", "epochs=2,k_lab=50")
	return model
}

// indexedFixture is a scratch folder with a trained model (trainedModel)
// and Cranfield's exact index by it, cran.idx.
type indexedFixture struct {
	dir, model string
	common     []string // --data, --model and --doc-len for every command
}

func newIndexedFixture(t *testing.T) *indexedFixture {
	t.Helper()
	f := &indexedFixture{dir: t.TempDir()}
	f.model = trainedModel(t, f.dir)
	f.common = []string{"--data", "cranfield", "--model", f.model, "--doc-len", "32"}
	mustRun(t, append([]string{"index", "--out", f.path("cran.idx")}, f.common...)...)
	return f
}

// path returns name's path in the fixture's folder.
func (f *indexedFixture) path(name string) string { return filepath.Join(f.dir, name) }

// readRunFile reads a TREC run the test wrote.
func readRunFile(t *testing.T, path string) metrics.Run {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := metrics.ReadRun(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// sameRanking fails the test unless two runs rank the same documents
// the same way, up to rounding: each document both hold scores the same
// in both (within tol, relative, at least absolute); a document only one
// holds scores within tol of the other's last (a tie at the cut); and
// two documents are in the other order only when their scores are
// within tol (the runs' sums were taken in different orders, so which
// of a near-tie is first is rounding). It returns the number of such
// near-tie inversions and boundary differences.
func sameRanking(t *testing.T, what string, got, want metrics.Run, tol float64) (ties int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d queries, want %d", what, len(got), len(want))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }
	for q, w := range want {
		g := got[q]
		if len(g) != len(w) {
			t.Fatalf("%s: query %s has %d results, want %d", what, q, len(g), len(w))
		}
		if len(w) == 0 {
			continue
		}
		gs, ws := make(map[string]float64), make(map[string]float64)
		for i := range w {
			gs[g[i].DocID], ws[w[i].DocID] = g[i].Score, w[i].Score
		}
		for _, r := range w {
			if s, ok := gs[r.DocID]; !ok {
				if !near(r.Score, g[len(g)-1].Score) {
					t.Fatalf("%s: query %s: %s (%g) is missing, and the last result scores %g", what, q, r.DocID, r.Score, g[len(g)-1].Score)
				}
				ties++
			} else if !near(s, r.Score) {
				t.Fatalf("%s: query %s: %s scores %g, want %g ± %g", what, q, r.DocID, s, r.Score, tol)
			}
		}
		for _, r := range g {
			if _, ok := ws[r.DocID]; !ok {
				if !near(r.Score, w[len(w)-1].Score) {
					t.Fatalf("%s: query %s: %s (%g) is not in the other run, whose last result scores %g", what, q, r.DocID, r.Score, w[len(w)-1].Score)
				}
				ties++
			}
		}
		// Inversions: for each pair in got's order, the first must not
		// score below the second in want beyond tol.
		for i := range g {
			a, ok := ws[g[i].DocID]
			if !ok {
				continue
			}
			for j := i + 1; j < len(g); j++ {
				if b, ok := ws[g[j].DocID]; ok && a < b {
					if !near(a, b) {
						t.Fatalf("%s: query %s: %s (%g) before %s (%g)", what, q, g[i].DocID, a, g[j].DocID, b)
					}
					ties++
				}
			}
		}
	}
	return ties
}

// TestRerankRun reranks TREC runs with rrra rerank: rrra's own dense run,
// reranked, must be what search --rerank gives (same order, scores to
// float32 rounding: the candidates are scored one dot product at a time,
// the search by SGEMM); a BM25 run, whose candidates the bi-encoder never
// chose, is reranked into its top --rerank-k, λ 0 giving the bi-encoder's
// order of them. Runs that name unknown queries or documents are refused
// with the run's file and line.
func TestRerankRun(t *testing.T) {
	f := newIndexedFixture(t)
	p, common := f.path, f.common
	search := append([]string{"search", "--method", "dense", "--index", p("cran.idx"), "--k", "100"}, common...)
	mustRun(t, append(search, "--out", p("dense.trec"))...)
	mustRun(t, append(search, "--out", p("want.trec"), "--rerank", "1", "--rerank-k", "50")...)
	mustRun(t, append([]string{"rerank", "--index", p("cran.idx"), "--run", p("dense.trec"), "--rerank", "1", "--rerank-k", "50", "--out", p("got.trec")}, common...)...)
	if n := sameRanking(t, "rerank of the dense run", readRunFile(t, p("got.trec")), readRunFile(t, p("want.trec")), 1e-5); n > 0 {
		t.Logf("rerank of the dense run: %d near-tie inversions or differences at the cut (within 1e-5)", n)
	}

	// Another system's candidates: BM25's. Without --index the corpus
	// is encoded now; the result must not depend on it (not under
	// -short).
	mustRun(t, "search", "--data", "cranfield", "--method", "bm25", "--k", "100", "--out", p("bm25.trec"))
	rerank := append([]string{"rerank", "--run", p("bm25.trec"), "--rerank-k", "30"}, common...)
	_, stderr := rrra(t, append(rerank, "--index", p("cran.idx"), "--rerank", "2", "--out", p("bm25-rr.trec"))...)
	if !strings.Contains(stderr, "reranked the top 30 of 90 queries with λ 2") || !strings.Contains(stderr, "reranked on test: nDCG@10") {
		t.Errorf("rerank log:\n%s", stderr)
	}
	if !testing.Short() { // another encoding of the corpus: minutes under qemu
		mustRun(t, append(rerank, "--rerank", "2", "--out", p("bm25-rr2.trec"))...)
		sameRanking(t, "rerank with the corpus encoded now", readRunFile(t, p("bm25-rr2.trec")), readRunFile(t, p("bm25-rr.trec")), 1e-6)
	}
	mustRun(t, append(rerank, "--index", p("cran.idx"), "--rerank", "0", "--out", p("bm25-rr0.trec"))...)
	bm, rr, rr0, dense := readRunFile(t, p("bm25.trec")), readRunFile(t, p("bm25-rr.trec")), readRunFile(t, p("bm25-rr0.trec")), readRunFile(t, p("dense.trec"))
	moved := 0
	for q, res := range rr0 {
		top := make(map[string]bool)
		for _, r := range bm[q][:30] {
			top[r.DocID] = true
		}
		for i, r := range res {
			if !top[r.DocID] {
				t.Fatalf("query %s: %s reranked, but it is not in BM25's top 30", q, r.DocID)
			}
			if i > 0 && r.Score > res[i-1].Score {
				t.Fatalf("query %s: λ 0 is not the bi-encoder's order at rank %d", q, i+1)
			}
		}
		if len(res) != min(30, len(bm[q])) {
			t.Fatalf("query %s: %d reranked, want %d", q, len(res), min(30, len(bm[q])))
		}
		if rr[q][0].DocID != res[0].DocID {
			moved++
		}
	}
	if moved == 0 {
		t.Error("λ 2 moved no query's first result: the adapter's p_rel did not count")
	}
	// λ 0 scores are the bi-encoder's logits s/τ_b: the dense run's
	// scores s over one constant τ_b, for every document both hold.
	tau, common2 := 0.0, 0
	for q, res := range rr0 {
		s := make(map[string]float64)
		for _, d := range dense[q] {
			s[d.DocID] = d.Score
		}
		for _, r := range res {
			x, ok := s[r.DocID]
			if !ok || r.Score == 0 {
				continue
			}
			if tau == 0 {
				tau = x / r.Score
			}
			if common2++; math.Abs(x/r.Score-tau) > 1e-4*tau {
				t.Fatalf("query %s, %s: dense score %g, λ-0 score %g: ratio %g, elsewhere %g", q, r.DocID, x, r.Score, x/r.Score, tau)
			}
		}
	}
	if common2 < 100 || !(tau > 0) {
		t.Fatalf("%d documents in both the dense run and BM25's reranked top 30 (τ_b %g)", common2, tau)
	}

	write := func(name, body string) string {
		if err := os.WriteFile(p(name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p(name)
	}
	for _, tc := range []struct {
		name, run string
		want      []string
	}{
		{"unknown document", write("baddoc.trec", "1 Q0 184 1 3.5 x\n1 Q0 nosuchdoc 2 3.1 x\n"), []string{"baddoc.trec:2", "docid", `"nosuchdoc" is not in the corpus`}},
		{"unknown query", write("badq.trec", "1 Q0 184 1 3.5 x\nq9999 Q0 29 1 2 x\n"), []string{"badq.trec:2", "qid", `"q9999"`}},
		{"malformed line", write("short.trec", "1 Q0 184 1\n"), []string{"short.trec:1", "want 6 fields"}},
		{"empty run", write("empty.trec", ""), []string{"empty.trec", "no results"}},
		{"split misspelled", write("ok.trec", "1 Q0 184 1 3.5 x\n"), []string{`no split "tets"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"rerank", "--index", p("cran.idx"), "--run", tc.run, "--out", p("never.trec")}
			if tc.name == "split misspelled" {
				args = append(args, "--split", "tets")
			}
			mustFail(t, p("never.trec"), tc.want, append(args, common...)...)
		})
	}
	// A model folder without adapters: refused before the corpus is
	// encoded.
	mustFail(t, p("never.trec"), []string{"rrra train --sampler rrra", adapter.File},
		"rerank", "--data", "cranfield", "--model", tinyModel, "--run", p("bm25.trec"), "--out", p("never.trec"))
}
