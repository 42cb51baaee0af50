package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/rrra/rrra/adapter"
)

// FuzzServeParams feeds any raw query string to the checks a Server makes
// on GET /search's parameters (params for k and rerank, checkQuery for q),
// with and without adapters. An accepted request has k in [1, max-k] (10
// when absent), reranks only with adapters, and has a non-blank query of at
// most max-query bytes; a refused one gets a message naming the parameter.
func FuzzServeParams(f *testing.F) {
	for _, s := range []string{
		"q=boundary+layer&k=10&rerank=1", "q=x", "q=&k=5", "q=+%20+", "k=0&q=x", "k=101&q=x", "k=-1&q=x", "k=1e2&q=x",
		"k=99999999999999999999999&q=x", "rerank=maybe&q=x", "rerank=false&q=x", "q=%ff%fe", "q=" + strings.Repeat("a", 300),
		"q=x&k=3&k=abc", "%zz=1&q=x", "q=x;k=2", "",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, withAdapters bool) {
		s := &Server{o: Options{MaxK: 100, MaxQuery: 200}}
		if withAdapters {
			a, err := adapter.New(adapter.DefaultConfig(4), 1)
			if err != nil {
				t.Fatal(err)
			}
			if s.rr, err = adapter.NewReranker(adapter.Folds{a}, 1, adapter.RerankConfig{}); err != nil {
				t.Fatal(err)
			}
		}
		// Query() drops malformed pairs and keeps the rest, as here.
		v, _ := url.ParseQuery(raw)
		k, mode, err := s.params(v.Get("k"), v.Get("rerank"), v.Get("hybrid"))
		switch {
		case err != nil:
			if msg := err.Error(); !strings.HasPrefix(msg, "k=") && !strings.HasPrefix(msg, "rerank") && !strings.HasPrefix(msg, "hybrid=") {
				t.Fatalf("%q: error %q names no parameter", raw, msg)
			}
		case k < 1 || k > s.o.MaxK || v.Get("k") == "" && k != 10:
			t.Fatalf("%q: accepted k=%d", raw, k)
		case mode == Rerank && !withAdapters:
			t.Fatalf("%q: reranks without adapters", raw)
		case mode == Hybrid:
			t.Fatalf("%q: hybrid without a hybrid ranker", raw)
		}
		q := v.Get("q")
		if err := s.checkQuery(q); err != nil {
			if !strings.Contains(err.Error(), "query") {
				t.Fatalf("%q: error %q does not say the query is at fault", raw, err)
			}
		} else if strings.TrimSpace(q) == "" || len(q) > s.o.MaxQuery {
			t.Fatalf("%q: accepted the query %q", raw, q)
		}
	})
}
