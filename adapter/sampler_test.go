package adapter

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/index"
)

func poolInput() *retrieval.SampleInput {
	in := &retrieval.SampleInput{Query: 0, Positives: []int32{1, 2}, PosScore: 3, NumDocs: 1000}
	for i, s := range []float32{5, 4, 3.5, 3, 2.5, 2, 1, 0, -1, -3} {
		in.Cands = append(in.Cands, retrieval.Candidate{Doc: int32(10 + i), Score: s})
	}
	return in
}

func newTestSampler(t *testing.T, cfg SamplerConfig, sfn []float32) *Sampler {
	t.Helper()
	s, err := NewSampler(cfg, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sfn != nil {
		s.SFN = [][]float32{sfn}
	}
	return s
}

var testSFN = []float32{0.9, 0.1, 0.5, 0.99, 0.2, 0.3, 0.6, 0.05, 0.7, 0.4}

// TestReducesToSimANS checks γ = 0 and ρ = 0 on a SimANS base draw exactly
// what retrieval's SimANS draws from the same stream, whatever s_FN is.
func TestReducesToSimANS(t *testing.T) {
	base := retrieval.SimANS{K: 10, A: 0.5, B: 0}
	for _, sfn := range [][]float32{nil, testSFN} {
		s := newTestSampler(t, SamplerConfig{Base: "simans", K: 10, SimA: 0.5, Gamma: 0, Rho: 0}, sfn)
		for seed := uint64(0); seed < 200; seed++ {
			for _, n := range []int{1, 3, 10, 12} {
				var st1, st2 retrieval.SampleStats
				want := base.Sample(rand.New(rand.NewPCG(seed, 9)), poolInput(), n, nil, &st1)
				got := s.Sample(rand.New(rand.NewPCG(seed, 9)), poolInput(), n, nil, &st2)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("seed %d n %d: rrra(γ=0, ρ=0) drew %v, SimANS %v", seed, n, got, want)
				}
			}
		}
	}
}

// drawFreq returns how often each pool candidate is the first draw.
func drawFreq(s *Sampler, trials int) []float64 {
	f := make([]float64, 10)
	rng := rand.New(rand.NewPCG(5, 5))
	var st retrieval.SampleStats
	for i := 0; i < trials; i++ {
		d := s.Sample(rng, poolInput(), 1, nil, &st)
		if d[0] >= 10 && d[0] < 20 {
			f[d[0]-10]++
		}
	}
	for i := range f {
		f[i] /= float64(trials)
	}
	return f
}

// TestResampleDistribution checks single draws follow
// p_i ∝ exp(s_i/τ)·(1 − s_FN,i)^γ, the uniform base gives uniform draws,
// and the gate removes candidates above θ.
func TestResampleDistribution(t *testing.T) {
	const trials = 200000
	in := poolInput()
	check := func(name string, s *Sampler, w []float64) {
		t.Helper()
		sum := 0.0
		for _, x := range w {
			sum += x
		}
		got := drawFreq(s, trials)
		for i := range w {
			p := w[i] / sum
			if tol := 5*math.Sqrt(p*(1-p)/trials) + 1e-9; math.Abs(got[i]-p) > tol {
				t.Errorf("%s: candidate %d drawn %.4f, want %.4f ± %.4f", name, i, got[i], p, tol)
			}
		}
	}
	w := make([]float64, 10)
	for i, c := range in.Cands {
		w[i] = math.Exp(float64(c.Score)/2) * math.Pow(1-float64(testSFN[i]), 1.5)
	}
	check("softmax γ=1.5", newTestSampler(t, SamplerConfig{Base: "softmax", K: 10, TauHN: 2, Gamma: 1.5}, testSFN), w)
	// Positive-aware base: s⁺ = 3, margin 0.05, so the candidates scoring
	// above 2.85 (5, 4, 3.5, 3) are never drawn; the softmax of the rest,
	// reweighted.
	for i, c := range in.Cands {
		w[i] = 0
		if c.Score <= 2.85 {
			w[i] = math.Exp(float64(c.Score)/2) * math.Pow(1-float64(testSFN[i]), 1.5)
		}
	}
	check("positive-aware γ=1.5", newTestSampler(t, SamplerConfig{Base: "positive-aware", K: 10, TauHN: 2, Gamma: 1.5}, testSFN), w)
	for i := range w {
		w[i] = 1
	}
	check("uniform γ=0", newTestSampler(t, SamplerConfig{Base: "uniform", K: 10}, testSFN), w)
	for i := range w {
		w[i] = 1
		if testSFN[i] > 0.65 {
			w[i] = 0
		}
	}
	check("uniform, gate 0.65", newTestSampler(t, SamplerConfig{Base: "uniform", K: 10, ThetaFN: 0.65}, testSFN), w)
	// By rank: the 3 most suspect of the first 6 (s_FN 0.99, 0.9, 0.5);
	// 0.7 and 0.6 lie beyond the depth and stay.
	w = []float64{0, 1, 0, 0, 1, 1, 1, 1, 1, 1}
	check("uniform, gate top 3 of 6", newTestSampler(t, SamplerConfig{Base: "uniform", K: 10, GateTop: 3, GateDepth: 6}, testSFN), w)
}

func TestRandomShare(t *testing.T) {
	s := newTestSampler(t, SamplerConfig{Base: "uniform", K: 10, Rho: 0.5}, nil)
	var st retrieval.SampleStats
	fromPool := 0
	for seed := uint64(0); seed < 500; seed++ {
		got := s.Sample(rand.New(rand.NewPCG(seed, 1)), poolInput(), 4, nil, &st)
		if len(got) != 4 {
			t.Fatalf("%v", got)
		}
		for _, d := range got {
			if d >= 10 && d < 20 {
				fromPool++
			}
			if d == 1 || d == 2 {
				t.Fatalf("drew a positive: %v", got)
			}
		}
	}
	// 2 of 4 slots from the pool, the others from 998 documents (10 in the pool).
	if mean := float64(fromPool) / 500; mean < 2 || mean > 2.1 {
		t.Errorf("%.3f pool documents per draw of 4 with ρ = 0.5, want about 2.02", mean)
	}
}

func TestRerank(t *testing.T) {
	ix := index.New(4)
	r := rand.New(rand.NewPCG(2, 2))
	vecs := make([]float32, 30*4)
	for i := range vecs {
		vecs[i] = float32(r.NormFloat64())
	}
	ids := make([]string, 30)
	for i := range ids {
		ids[i] = string(rune('a' + i))
	}
	if err := ix.Add(ids, vecs); err != nil {
		t.Fatal(err)
	}
	q := []float32{1, 0.5, -0.2, 0.3}
	hits := ix.SearchOne(q, 30)
	hits[3].Score = hits[4].Score // a tie: it must keep its order
	a, _ := New(DefaultConfig(4), 3)
	rerank := func(cfg RerankConfig) []index.Hit {
		t.Helper()
		rr, err := NewReranker(Folds{a}, 1, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := rr.Rerank(ix, "", q, hits)
		return got
	}
	for _, tau := range []float64{1, 5} {
		got := rerank(RerankConfig{K: 20, Lambda: 0, TauB: tau})
		for i := range got {
			if got[i].Doc != hits[i].Doc {
				t.Fatalf("λ = 0, τ_b = %v: rank %d is %d, bi-encoder has %d", tau, i, got[i].Doc, hits[i].Doc)
			}
		}
	}
	got := rerank(RerankConfig{K: 20, Lambda: 2, TauB: 1})
	rel := map[int]float64{}
	for _, h := range hits[:20] {
		rel[h.Doc] = float64(a.Score(q, ix.Vector(h.Doc), nil, 1).Rel[0])
	}
	for i, h := range got {
		orig := 0.0
		for _, x := range hits {
			if x.Doc == h.Doc {
				orig = float64(x.Score)
			}
		}
		if want := orig + 2*math.Log(rel[h.Doc]); math.Abs(float64(h.Score)-want) > 1e-4 {
			t.Errorf("rank %d: score %v, want s + λ·log p_rel = %v", i, h.Score, want)
		}
		if i > 0 && got[i-1].Score < h.Score {
			t.Errorf("not sorted at %d", i)
		}
	}
}

// TestObservePool fits the cross-fitted adapters on synthetic vectors and
// checks s_FN is cached for every pool candidate, in (0, 1), and cleared
// for a pool without vectors.
func TestObservePool(t *testing.T) {
	td, qv, dv := synthetic(60, 400, 16, 7)
	cfg := DefaultSamplerConfig()
	cfg.K, cfg.Label.KLab, cfg.Fit.Epochs = 30, 40, 5
	s, err := NewSampler(cfg, 16, 3)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := retrieval.MineDense(td, qv, dv, 16, 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ObservePool(pool, td, qv, dv, 16); err != nil {
		t.Fatal(err)
	}
	if s.Fits != 1 || len(s.Adapters) != 2 {
		t.Fatalf("%d fits of %d adapters", s.Fits, len(s.Adapters))
	}
	for q := range pool.Cands {
		if len(s.SFN[q]) != len(pool.Cands[q]) {
			t.Fatalf("query %d: %d estimates for %d candidates", q, len(s.SFN[q]), len(pool.Cands[q]))
		}
		for _, f := range s.SFN[q] {
			if !(f > 0 && f < 1) {
				t.Fatalf("s_FN %v out of (0, 1)", f)
			}
		}
	}
	if err := s.ObservePool(pool, td, nil, nil, 16); err != nil || s.SFN[0] != nil {
		t.Errorf("a pool without vectors must clear the estimates: %v", err)
	}
}

// TestSelfTraining checks promotion: with self-training, the candidates
// above θ (at most SelfTrainMax per query, the most confident) move from
// the pool to the query's positives, the pool's positive scores and s_FN
// stay aligned, and the data the copy was made from is left alone. The
// reference is the same sampler without self-training on the same pool.
func TestSelfTraining(t *testing.T) {
	orig, qv, dv := synthetic(60, 400, 16, 7)
	cfg := DefaultSamplerConfig()
	cfg.K, cfg.Label.KLab, cfg.Fit.Epochs = 30, 40, 5
	ref, err := NewSampler(cfg, 16, 3)
	if err != nil {
		t.Fatal(err)
	}
	refPool, err := retrieval.MineDense(orig, qv, dv, 16, 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.ObservePool(refPool, orig, qv, dv, 16); err != nil {
		t.Fatal(err)
	}
	var all []float64
	for _, row := range ref.SFN {
		for _, f := range row {
			all = append(all, float64(f))
		}
	}
	slices.Sort(all)
	for _, limit := range []int{1, 2} {
		cfg := cfg
		cfg.SelfTrain, cfg.SelfTrainMax = all[len(all)*97/100], limit
		td := orig.WithOwnPositives()
		pool, err := retrieval.MineDense(td, qv, dv, 16, 30, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSampler(cfg, 16, 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ObservePool(pool, td, qv, dv, 16); err != nil {
			t.Fatal(err)
		}
		if len(s.Promoted) == 0 {
			t.Fatalf("limit %d: nothing promoted above θ %.3f", limit, cfg.SelfTrain)
		}
		perQuery := map[int][]Promotion{}
		for _, p := range s.Promoted {
			perQuery[p.Query] = append(perQuery[p.Query], p)
		}
		for q := range refPool.Cands {
			want := slices.Clone(orig.Positives[q])
			var keep []retrieval.Candidate
			var keepSFN []float32
			var above []float32 // s_FN of the reference's candidates above θ, best first
			for i := range refPool.Cands[q] {
				if f := ref.SFN[q][i]; float64(f) > cfg.SelfTrain {
					above = append(above, f)
				}
			}
			slices.SortFunc(above, func(a, b float32) int { return cmpDesc(a, b) })
			got := perQuery[q]
			if len(got) != min(limit, len(above)) {
				t.Fatalf("limit %d, query %d: promoted %d of %d above θ", limit, q, len(got), len(above))
			}
			promoted := map[int32]bool{}
			for j, p := range got {
				if p.SFN != above[j] {
					t.Fatalf("limit %d, query %d: promotion %d has s_FN %v, want the %d-th best %v", limit, q, j, p.SFN, j+1, above[j])
				}
				promoted[p.Doc] = true
				want = append(want, p.Doc)
			}
			for i, c := range refPool.Cands[q] {
				if !promoted[c.Doc] {
					keep = append(keep, c)
					keepSFN = append(keepSFN, ref.SFN[q][i])
				}
			}
			slices.Sort(want)
			if !slices.Equal(td.Positives[q], want) {
				t.Fatalf("limit %d, query %d: positives %v, want %v", limit, q, td.Positives[q], want)
			}
			if !slices.Equal(pool.Cands[q], keep) || !slices.Equal(s.SFN[q], keepSFN) {
				t.Fatalf("limit %d, query %d: pool or s_FN not the reference's less the promoted", limit, q)
			}
			if len(pool.PosScores[q]) != len(td.Positives[q]) {
				t.Fatalf("limit %d, query %d: %d positive scores for %d positives", limit, q, len(pool.PosScores[q]), len(td.Positives[q]))
			}
			for j, d := range td.Positives[q] {
				var w float32
				if i := slices.Index(orig.Positives[q], d); i >= 0 {
					w = refPool.PosScores[q][i]
				} else {
					w = refPool.Cands[q][slices.IndexFunc(refPool.Cands[q], func(c retrieval.Candidate) bool { return c.Doc == d })].Score
				}
				if pool.PosScores[q][j] != w {
					t.Fatalf("limit %d, query %d: positive %d scored %v, want %v", limit, q, d, pool.PosScores[q][j], w)
				}
			}
		}
	}
	// The data the copies were made from is untouched.
	fresh, _, _ := synthetic(60, 400, 16, 7)
	if !reflect.DeepEqual(orig.Positives, fresh.Positives) {
		t.Error("self-training changed the positives of the data its copy came from")
	}
	if _, err := NewSampler(SamplerConfig{SelfTrain: 1}, 4, 1); err == nil {
		t.Error("self_train=1 accepted")
	}
}

func cmpDesc(a, b float32) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
