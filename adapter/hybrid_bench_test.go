package adapter

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
)

// BenchmarkHybridLatency times hybrid ranking one query at a time on the
// embedded collections, for issue 19's latency target (the fusion's own
// cost per query at most 10% of the dense search's). The model is the
// committed random mini model (retrieval/testdata/mini-model: d 64, the
// demo's shape; its weights do not change the work), documents cut to 128
// tokens, the test queries encoded beforehand; the fusion is a linear one
// (hidden 0) or one of 16 tanh units, the largest DefaultFusionConfigs
// offers, with random weights. Sub-benchmarks, per collection: dense
// (the exact top 100), bm25 (the top 100), and hybrid-h0 and hybrid-h16
// (HybridRanker.Rank: both searches, the candidates' features, the fusion
// and the sort); each reports µs/query, and the hybrid ones also
// fusion-µs (hybrid − dense − BM25, medians of every query's best of 3)
// and fusion-share-of-dense.
//
//	go test -run '^$' -bench HybridLatency -benchtime 1x ./adapter
func BenchmarkHybridLatency(b *testing.B) {
	enc, err := retrieval.LoadEncoder("../retrieval/testdata/mini-model", retrieval.EncoderOptions{QueryLen: 32, DocLen: 128})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"cranfield", "scifact"} {
		d, err := beir.Read(name, beir.Options{})
		if err != nil {
			b.Fatal(err)
		}
		corpus := retrieval.NewCorpusData(d)
		ix, err := retrieval.IndexCorpus(enc, corpus, nil)
		if err != nil {
			b.Fatal(err)
		}
		test, _, err := d.Qrels("test")
		if err != nil {
			b.Fatal(err)
		}
		_, texts := retrieval.QueryTexts(d.SplitQueries(test))
		qv, err := enc.Queries(texts, nil)
		if err != nil {
			b.Fatal(err)
		}
		dim := enc.Dim()
		bm := retrieval.BuildBM25(corpus)
		// median returns the median over queries of each query's best of
		// three runs of fn.
		median := func(fn func(q int)) time.Duration {
			ds := make([]time.Duration, len(texts))
			for q := range texts {
				ds[q] = time.Duration(1 << 62)
				for range 3 {
					t0 := time.Now()
					fn(q)
					ds[q] = min(ds[q], time.Since(t0))
				}
			}
			slices.Sort(ds)
			return ds[len(ds)/2]
		}
		dense := func(q int) { ix.SearchOne(qv[q*dim:(q+1)*dim], 100) }
		lex := func(q int) { bm.Search(texts[q], 100) }
		var tDense, tBM25 time.Duration
		b.Run(name+"/dense", func(b *testing.B) {
			for range b.N {
				tDense = median(dense)
			}
			b.ReportMetric(float64(tDense.Microseconds()), "µs/query")
		})
		b.Run(name+"/bm25", func(b *testing.B) {
			for range b.N {
				tBM25 = median(lex)
			}
			b.ReportMetric(float64(tBM25.Microseconds()), "µs/query")
		})
		for _, hidden := range []int{0, 16} {
			f := randomFusion(hidden)
			h := &HybridRanker{Index: ix, BM25: bm, K: 100, Scale: enc.LogitScale(), Fusion: f}
			b.Run(name+"/hybrid-h"+map[int]string{0: "0", 16: "16"}[hidden], func(b *testing.B) {
				var t time.Duration
				for range b.N {
					t = median(func(q int) {
						if _, err := h.Rank(texts[q], qv[q*dim:(q+1)*dim], 100); err != nil {
							b.Fatal(err)
						}
					})
				}
				own := t - tDense - tBM25
				b.ReportMetric(float64(t.Microseconds()), "µs/query")
				b.ReportMetric(float64(own.Microseconds()), "fusion-µs")
				if tDense > 0 {
					b.ReportMetric(float64(own)/float64(tDense), "fusion-share-of-dense")
				}
			})
		}
	}
}

// randomFusion returns a Fusion of the given hidden width with random
// weights and unit standardisation.
func randomFusion(hidden int) *Fusion {
	r := rand.New(rand.NewPCG(3, 3))
	v := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(r.NormFloat64())
		}
		return out
	}
	f := &Fusion{Mean: make([]float32, numFusionFeatures), Std: make([]float32, numFusionFeatures), U: v(numFusionFeatures), Hidden: hidden}
	for j := range f.Std {
		f.Std[j] = 1
	}
	if hidden > 0 {
		f.W, f.B, f.V = v(hidden*numFusionFeatures), v(hidden), v(hidden)
	}
	return f
}
