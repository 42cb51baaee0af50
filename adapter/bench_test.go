package adapter

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/index"
)

// BenchmarkQueryLatency times one query end to end — encode it with a
// "mini" or "tiny" model (32 tokens), search 100,000 documents exactly for
// the top 100 — without and with adapter A reranking those 100 (two
// cross-fitted adapters, as rrra search --rerank uses), so that the
// reranking overhead is the ratio of the two (issue 6: under 10%).
func BenchmarkQueryLatency(b *testing.B) {
	words := []string{"boundary", "layer", "flow", "shock", "wave", "heat", "transfer", "wing", "pressure", "supersonic"}
	i := 0
	vocab, err := wordpiece.Train(func() (string, bool) {
		if i == 2000 {
			return "", false
		}
		i++
		return words[i%len(words)] + " " + words[(i*7)%len(words)], true
	}, wordpiece.TrainOptions{VocabSize: 200, Lower: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, preset := range []string{"mini", "tiny"} {
		cfg, _ := nn.Preset(preset, vocab.Len())
		m, _ := nn.NewBert(cfg, 1)
		bi := &nn.BiEncoder{Query: m, Doc: m, Pooling: nn.PoolMean, Normalize: true, Temperature: 0.05}
		enc := retrieval.NewEncoder(bi, wordpiece.New(vocab, true), 32, 128)
		d := enc.Dim()
		const n = 100000
		r := rand.New(rand.NewPCG(1, 1))
		vecs := make([]float32, n*d)
		for j := range vecs {
			vecs[j] = float32(r.NormFloat64())
		}
		ids := make([]string, n)
		for j := range ids {
			ids[j] = fmt.Sprint(j)
		}
		ix := index.New(d)
		if err := ix.Add(ids, vecs); err != nil {
			b.Fatal(err)
		}
		a1, _ := New(DefaultConfig(d), 1)
		a2, _ := New(DefaultConfig(d), 2)
		query := "heat transfer in the boundary layer of a supersonic wing with shock waves and pressure"
		for _, rerank := range []bool{false, true} {
			name := fmt.Sprintf("%s/d%d/plain", preset, d)
			if rerank {
				name = fmt.Sprintf("%s/d%d/rerank100", preset, d)
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					qv, err := enc.Queries([]string{query}, nil)
					if err != nil {
						b.Fatal(err)
					}
					hits := ix.SearchOne(qv, 100)
					if rerank {
						hits = Rerank([]*Adapter{a1, a2}, ix, query, qv, hits, RerankConfig{K: 100, Lambda: 1, TauB: 0.05})
					}
					if len(hits) != 100 {
						b.Fatal(len(hits))
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/query")
			})
		}
	}
}

// BenchmarkRerankScoring times the adapter part of reranking alone: p_rel
// for 100 candidates of one query from two adapters A of dimension d, by
// the tape (Score, all heads), by the tape-free Relevance, and by
// RelevanceOne, which Rerank uses (one query: a third of the work).
func BenchmarkRerankScoring(b *testing.B) {
	for _, d := range []int{64, 128} {
		a1, _ := New(DefaultConfig(d), 1)
		a2, _ := New(DefaultConfig(d), 2)
		r := rand.New(rand.NewPCG(1, 2))
		q := make([]float32, 100*d)
		c := make([]float32, 100*d)
		for i := range q {
			q[i], c[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		b.Run(fmt.Sprintf("d%d/score", d), func(b *testing.B) {
			for b.Loop() {
				a1.Score(q, c, nil, 100)
				a2.Score(q, c, nil, 100)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/query")
		})
		b.Run(fmt.Sprintf("d%d/relevance", d), func(b *testing.B) {
			var p []float32
			for b.Loop() {
				p = a1.Relevance(q, c, nil, 100, p)
				p = a2.Relevance(q, c, nil, 100, p)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/query")
		})
		b.Run(fmt.Sprintf("d%d/relevance-one", d), func(b *testing.B) {
			var p []float32
			for b.Loop() {
				p = a1.RelevanceOne(q[:d], c, nil, 100, p)
				p = a2.RelevanceOne(q[:d], c, nil, 100, p)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/query")
		})
	}
}
