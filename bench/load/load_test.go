package load

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
)

// TestQuantile checks against numpy.quantile's default (linear) method;
// the expected values were printed by numpy 1.24.
func TestQuantile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	cases := []struct {
		v    []float64
		want [3]float64 // p50, p90, p99
	}{
		{[]float64{1}, [3]float64{1, 1, 1}},
		{[]float64{1, 2}, [3]float64{1.5, 1.9, 1.99}},
		{[]float64{3, 1, 2, 10}, [3]float64{2.5, 7.9, 9.79}},
		{hundred, [3]float64{50.5, 90.1, 99.01}},
	}
	for _, c := range cases {
		v := slices.Clone(c.v)
		slices.Sort(v)
		for i, p := range []float64{0.5, 0.9, 0.99} {
			if got := Quantile(v, p); math.Abs(got-c.want[i]) > 1e-9 {
				t.Errorf("Quantile(%v, %g) = %g, want %g", c.v, p, got, c.want[i])
			}
		}
	}
	if !math.IsNaN(Quantile(nil, 0.5)) {
		t.Error("Quantile of nothing is not NaN")
	}
}

// TestRunCounts runs against a fake server that fails in known ways and
// checks that every request is made once and every failure is counted
// under its kind.
func TestRunCounts(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		k, _ := strconv.Atoi(r.URL.Query().Get("k"))
		rerank := r.URL.Query().Get("rerank") == "1"
		switch {
		case i%10 == 0:
			http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
			return
		case i%10 == 5:
			k-- // one hit short
		case i%10 == 7:
			fmt.Fprint(w, `{"hits": [`)
			return
		}
		fmt.Fprintf(w, `{"reranked": %v, "hits": [`, rerank)
		for j := range k {
			if j > 0 {
				fmt.Fprint(w, ",")
			}
			fmt.Fprintf(w, `{"rank": %d}`, j+1)
		}
		fmt.Fprint(w, "]}")
	}))
	defer srv.Close()
	rep, err := Run(context.Background(), Config{URL: srv.URL, Queries: []string{"a", "b b"}, Requests: 500, Concurrency: 16, K: 3, RerankEvery: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 500 || rep.Requests != 500 {
		t.Fatalf("server saw %d requests, report says %d; want 500", n.Load(), rep.Requests)
	}
	want := map[string]int{"status 503": 50, "short answer": 50, "bad json": 50}
	for k, v := range want {
		if rep.Errors[k] != v {
			t.Errorf("errors[%q] = %d, want %d (all: %v)", k, rep.Errors[k], v, rep.Errors)
		}
	}
	if rep.OK != 350 || rep.ErrorCount() != 150 {
		t.Errorf("ok %d, errors %d; want 350 and 150", rep.OK, rep.ErrorCount())
	}
	if !(rep.P50 > 0 && rep.P50 <= rep.P90 && rep.P90 <= rep.P99 && rep.P99 <= rep.Max) {
		t.Errorf("latency quantiles out of order: %+v", rep)
	}
	if _, err := Run(context.Background(), Config{URL: srv.URL, Requests: 1, Concurrency: 1, K: 1}); err == nil {
		t.Error("a run without queries was accepted")
	}
}
