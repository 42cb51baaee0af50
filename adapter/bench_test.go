package adapter

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/bm25"
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
			rr, err := NewReranker(Folds{a1, a2}, 0.05, RerankConfig{K: 100, Lambda: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					qv, err := enc.Queries([]string{query}, nil)
					if err != nil {
						b.Fatal(err)
					}
					hits := ix.SearchOne(qv, 100)
					if rerank {
						hits, _ = rr.Rerank(ix, query, qv, hits)
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
	for _, d := range []int{64, 128, 384} {
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

// BenchmarkVariantCost times what each adapter variant costs (issue 9),
// at the mini model's dimension (64):
//
//   - rerank100: p_rel of one query's top 100 by two cross-fitted
//     adapters, as Rerank computes it (PRel; with the lexical feature,
//     BM25 over a 5,000-document corpus; adapter B reads 128 token
//     states per document), reported as µs/query;
//   - fit: one adapter's Fit on a mining pass's labelled pairs (135
//     queries × 24 pairs, 40 epochs, batch 256): the sampler refits its
//     two adapters at every pool refresh, so a training step pays
//     2·fit / RefreshEvery; reported as ms/fit.
//
// Labelling and the pair features (PairFeatures) come on top of fit, and
// are the same for every variant but those reading the lexical columns.
func BenchmarkVariantCost(b *testing.B) {
	const d, nd, nq, tokens = 64, 5000, 135, 128
	words := []string{"boundary", "layer", "flow", "shock", "wave", "heat", "transfer", "wing", "pressure", "supersonic",
		"laminar", "turbulent", "mach", "number", "plate", "cone", "jet", "nozzle", "buckling", "cylinder"}
	r := rand.New(rand.NewPCG(3, 3))
	text := func(n int) string {
		s := ""
		for i := 0; i < n; i++ {
			s += words[r.IntN(len(words))] + " "
		}
		return s
	}
	bb := bm25.New(bm25.DefaultParams())
	ids := make([]string, nd)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
		bb.Add(ids[i], text(80))
	}
	lex := NewLexical(bb.Build())
	dv := make([]float32, nd*d)
	qv := make([]float32, nq*d)
	for _, v := range [][]float32{dv, qv} {
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
	}
	ix := index.New(d)
	if err := ix.Add(ids, dv); err != nil {
		b.Fatal(err)
	}
	ts := &retrieval.TokenStates{Dim: d, Off: make([]int, nd+1), Data: make([]float32, nd*tokens*d)}
	for i := range ts.Off {
		ts.Off[i] = i * tokens
	}
	for i := range ts.Data {
		ts.Data[i] = float32(r.NormFloat64())
	}
	var pairs []Pair
	for q := 0; q < nq; q++ {
		for j := 0; j < 24; j++ {
			p := Pair{Query: int32(q), Doc: int32(r.IntN(nd)), Class: int32(j % numOutcomes), Weight: 1}
			if j%numOutcomes == TP || j%numOutcomes == FN {
				p.Y = 1
			}
			p.Extra = [numExtra]float32{float32(r.NormFloat64()), 0, r.Float32(), r.Float32(), r.Float32()}
			pairs = append(pairs, p)
		}
	}
	query := text(8)
	hits := ix.SearchOne(qv[:d], 100)
	for _, v := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"A", func(c *Config) {}},
		{"A+all", func(c *Config) { c.ScoreFeature, c.RelFeature, c.LexFeature = true, true, true }},
		{"features", func(c *Config) { c.ScoreFeature, c.RelFeature, c.LexFeature, c.NoVectors = true, true, true, true }},
		{"features+poslex", func(c *Config) {
			c.ScoreFeature, c.RelFeature, c.LexFeature, c.PosLexFeature, c.NoVectors = true, true, true, true, true
		}},
		{"B", func(c *Config) { c.Token = true }},
		{"B+all", func(c *Config) { c.Token, c.ScoreFeature, c.RelFeature, c.LexFeature = true, true, true, true }},
	} {
		cfg := DefaultConfig(d)
		v.mutate(&cfg)
		var adapters []*Adapter
		for seed := uint64(1); seed <= 2; seed++ {
			a, err := New(cfg, seed)
			if err != nil {
				b.Fatal(err)
			}
			adapters = append(adapters, a)
		}
		var tok *retrieval.TokenStates
		if cfg.Token {
			tok = ts
		}
		rr, err := NewReranker(adapters, 0.05, RerankConfig{K: 100, Lambda: 1, Tokens: tok, Lexical: lex})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(v.name+"/rerank100", func(b *testing.B) {
			for b.Loop() {
				if p := rr.PRel(ix, query, qv[:d], hits); len(p) != 100 {
					b.Fatal(len(p))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/query")
		})
		b.Run(v.name+"/fit", func(b *testing.B) {
			fc := FitConfig{Epochs: 40, Batch: 256, LR: 1e-3, Loss: DefaultLoss}
			for b.Loop() {
				if _, err := adapters[0].Fit(pairs, qv, dv, tok, fc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/fit")
		})
	}
}
