package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/retrieval"
)

// hybridRanker returns a hybrid ranker over the fixture's index, with a
// linear fusion (dense weight 0.4) standing in for a learned one.
func hybridRanker(t *testing.T, f batchFixture, enc *retrieval.Encoder) *adapter.HybridRanker {
	t.Helper()
	return &adapter.HybridRanker{Index: f.ix, BM25: retrieval.BuildBM25(retrieval.NewCorpusData(f.d)), K: 50,
		Scale: enc.LogitScale(), Fusion: adapter.LinearFusion(0.4)}
}

// TestHybridMode checks the server's hybrid ranking: requests that do not
// say rank hybrid, batched or not, exactly as the library's HybridRanker
// ranks one query alone (documents, order, every score and rank), and
// the rerank and hybrid parameters choose the mode or are refused.
func TestHybridMode(t *testing.T) {
	checkNoLeak(t)
	f := loadFixture(t)
	enc, err := newEncoder()
	if err != nil {
		t.Fatal(err)
	}
	h := hybridRanker(t, f, enc)
	s := newBatchServer(t, Options{Hybrid: h, BatchQueries: 8})
	if m := s.DefaultMode(); m != Hybrid {
		t.Fatalf("default mode %s, want hybrid", m)
	}
	queries := f.queries[:24]
	got, err := s.Search(context.Background(), queries, 10, Hybrid)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range queries {
		qv, err := enc.Queries([]string{q}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := h.Rank(q, qv, 10)
		if err != nil {
			t.Fatal(err)
		}
		r := got[i]
		if r.Mode != Hybrid || r.Reranked || len(r.Hits) != len(want) {
			t.Fatalf("%q: mode %s, %d hits; want hybrid, %d", q, r.Mode, len(r.Hits), len(want))
		}
		for j, c := range want {
			hit := r.Hits[j]
			if hit.ID != f.ix.ID(c.Doc) || hit.RankBefore != c.DenseRank || *hit.BM25Rank != c.BM25Rank || *hit.BM25 != c.BM25 {
				t.Fatalf("%q rank %d: %s (dense rank %d, BM25 %v rank %d); want %s (%d, %v, %d)", q, j+1, hit.ID, hit.RankBefore,
					*hit.BM25, *hit.BM25Rank, f.ix.ID(c.Doc), c.DenseRank, c.BM25, c.BM25Rank)
			}
			// A batch's query vectors may differ from one query's in
			// their last bits (see TestBatchEqualsOneAtATime).
			if d := *hit.Fused - c.Score; d > 1e-5 || d < -1e-5 || hit.Score-c.Dense > 1e-5 || c.Dense-hit.Score > 1e-5 {
				t.Fatalf("%q rank %d: fused %v, dense %v; want %v, %v", q, j+1, *hit.Fused, hit.Score, c.Score, c.Dense)
			}
		}
	}

	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, c := range []struct {
		params string
		code   int
		mode   Mode
	}{
		{"", 200, Hybrid},
		{"&hybrid=1", 200, Hybrid},
		{"&rerank=0", 200, Dense},
		{"&hybrid=0", 200, Dense}, // no adapters to rerank with
		{"&rerank=1", 200, Dense},
		{"&rerank=1&hybrid=1", 400, ""},
		{"&hybrid=yes", 400, ""},
	} {
		resp, err := http.Get(ts.URL + "/search?k=5&q=" + url.QueryEscape("boundary layer") + c.params)
		if err != nil {
			t.Fatal(err)
		}
		var r Result
		decodeBody(t, resp, &r)
		if resp.StatusCode != c.code || (c.code == 200 && r.Mode != c.mode) {
			t.Errorf("%q: %d, mode %q; want %d, %q", c.params, resp.StatusCode, r.Mode, c.code, c.mode)
		}
	}
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health map[string]any
	decodeBody(t, resp, &health)
	if health["hybrid"] != "learned fusion" {
		t.Errorf("/healthz says hybrid %v, want \"learned fusion\"", health["hybrid"])
	}
}

// TestHybridRefused checks that New refuses a hybrid ranker that does not
// fit the server: another index, a BM25 index of other documents, a
// depth below MaxK.
func TestHybridRefused(t *testing.T) {
	f := loadFixture(t)
	enc, err := newEncoder()
	if err != nil {
		t.Fatal(err)
	}
	other, err := retrieval.IndexCorpus(enc, retrieval.NewCorpusData(f.d), nil)
	if err != nil {
		t.Fatal(err)
	}
	half := retrieval.NewCorpusData(f.d)
	half.Docs, half.DocIDs = half.Docs[:150], half.DocIDs[:150]
	o := Options{MaxK: 50, MaxQuery: 100, MaxBatch: 4, MaxInflight: 4, Timeout: 1e9, RerankK: 100}
	for _, c := range []struct {
		name string
		edit func(h *adapter.HybridRanker)
		want string
	}{
		{"other index", func(h *adapter.HybridRanker) { h.Index = other }, "another index"},
		{"other BM25", func(h *adapter.HybridRanker) { h.BM25 = retrieval.BuildBM25(half) }, "BM25 index"},
		{"shallow", func(h *adapter.HybridRanker) { h.K = 20 }, "depth 20"},
	} {
		h := hybridRanker(t, f, enc)
		c.edit(h)
		o.Hybrid = h
		if s, err := New(f.d, enc, f.ix, nil, o); err == nil || !strings.Contains(err.Error(), c.want) {
			if s != nil {
				s.Close()
			}
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// decodeBody decodes a JSON response into v and closes it.
func decodeBody(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
