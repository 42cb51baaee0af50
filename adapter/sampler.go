package adapter

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/rrra/rrra/retrieval"
)

// SamplerConfig sets RRRA's resampling of hard negatives:
//
//	p_i ∝ s_HN,i · (1 − s_FN,i)^γ
//
// over a query's pool (its top K, known positives removed), with
// s_FN,i = p_rel of the adapter for candidate i, a share ρ of the slots
// given to uniformly random corpus documents, and draws without replacement
// (Gumbel-top-m). γ = 0 and ρ = 0 give the base sampler exactly.
type SamplerConfig struct {
	// Base is s_HN: "softmax" (of the pool's scores / TauHN), "uniform",
	// "simans", or "positive-aware": the softmax restricted to the
	// candidates scoring at most s⁺ − PAMargin·|s⁺| (NV-Retriever's
	// TopK-PercPos threshold, retrieval.PositiveAwareLimit).
	Base  Base
	K     int     // pool depth (0: 100)
	TauHN float64 // softmax temperature on the pool's scores, which are the model's logits (0: 1)
	SimA  float64 // simans base: a (0: 0.5)
	SimB  float64 // simans base: b
	// PAMargin is the positive-aware base's margin (0: 0.05).
	PAMargin float64
	Gamma    float64 // exponent on 1 − s_FN
	Rho      float64 // share of slots filled with random documents
	// ThetaFN drops candidates whose s_FN exceeds it (0 or ≥ 1: no gate).
	ThetaFN float64
	// GateTop drops, per query, the GateTop candidates with the highest
	// s_FN among the pool's first GateDepth (0: 20): a gate by rank
	// rather than by level, for the hardest candidates, where a hidden
	// positive most often sits and s_FN's level means least. 0: none.
	GateTop, GateDepth int
	// Folds > 1 cross-fits: each fold's queries are judged by an adapter
	// fitted on the other folds' queries, so that it cannot memorise the
	// negatives it judges. 0 or 1: one adapter for all.
	Folds int
	// Features shape the adapters (see Features); with Token (adapter
	// B) the sampler needs an Encoder for the documents' token states.
	Features
	// LambdaAd is stage 3's λ_ad: the weight of the adapter loss added to
	// the bi-encoder's InfoNCE on every batch (see Joint); 0 leaves the
	// adapters to the refits at each refresh.
	LambdaAd float64
	// SelfTrain, in (0, 1), turns on self-training: at each new pool, a
	// query's candidates whose s_FN exceeds it (at most SelfTrainMax of
	// them, most confident first; 0: 1) become positives of that query
	// for the rest of training. They leave the pool, join the TrainData's
	// Positives, so that the bi-encoder trains on them as positives and
	// the next fits label them relevant, and are listed in
	// Sampler.Promoted. The sampler then changes the TrainData it
	// observes: give it one of its own (TrainData.WithOwnPositives).
	// 0: off.
	SelfTrain    float64
	SelfTrainMax int
	Label        LabelConfig
	Fit          FitConfig
}

// DefaultSamplerConfig returns the defaults of docs/method.md: softmax base at the
// model's temperature, K 100, γ 1, ρ 0.25, no gate, two folds, adapter A;
// the adapters are fitted for 40 epochs, because fewer underfit (on
// Cranfield with 30% of training positives hidden, one seed, uniform
// base, the cross-fitted s_FN found them with ROC AUC 0.634 after 10
// epochs and 0.757 after 40, measured before the residual head could
// train). docs/experiments/cranfield-ablation compares the variants.
//
// rrra's commands do not start from these alone: with no parameters
// given they use RecommendedParams on top of them.
func DefaultSamplerConfig() SamplerConfig {
	return SamplerConfig{Base: "softmax", K: 100, TauHN: 1, SimA: 0.5, Gamma: 1, Rho: 0.25, Folds: 2,
		Label: LabelConfig{KLab: 200, Random: 8, KPred: 20}, Fit: FitConfig{Epochs: 40, Batch: 256, LR: 1e-3, Loss: DefaultLoss}}
}

// RecommendedParams are the RRRA parameters rrra's commands (train
// --sampler rrra, experiment, audit, demo) use when none are given, on
// top of DefaultSamplerConfig: the best false-negative finder measured,
// driving the resampling. The features-only adapter (the bi-encoder's
// score, s − s⁺ of the other positives, the lexical match, and the
// TF-IDF similarity to the query's other positives; no vectors, no
// outcome head) on a softmax base with γ 2 was chosen on Cranfield's
// planted study (30% of training positives hidden: cross-fitted s_FN AUC
// 0.853–0.858 on four samplers' models against adapter A's 0.72–0.75 and
// the raw score's 0.789–0.803) and confirmed on SciFact's (0.972–0.976
// against the raw score's 0.909–0.944); docs/quality.md gives the
// commands. Reranking with the same adapters neither helps nor hurts on
// either collection (within ±0.002 nDCG@10 of adapter A's), and hybrid
// ranking learns its own fusion (Fusion), so one set serves every role.
const RecommendedParams = "base=softmax,gamma=2,score_feature=1,rel_feature=1,lex_feature=1,no_vectors=1,mu=0,pos_lex_feature=1"

// RecommendedSamplerConfig returns DefaultSamplerConfig with
// RecommendedParams applied.
func RecommendedSamplerConfig() SamplerConfig {
	c := DefaultSamplerConfig()
	c.Base, c.Gamma, c.Fit.Loss.Mu = "softmax", 2, 0
	c.ScoreFeature, c.RelFeature, c.LexFeature, c.NoVectors, c.PosLexFeature = true, true, true, true, true
	return c
}

// Sampler is RRRA's negative sampler. At each new pool it labels the
// mining pass, fits the adapter(s) on the cached vectors (stage 2, or a
// refresh of it in stage 3) and caches s_FN for every pool candidate; it
// then samples with the adapter's estimates. It implements
// retrieval.Sampler and retrieval.PoolObserver.
type Sampler struct {
	Cfg      SamplerConfig
	Adapters Folds // one per fold (one without cross-fitting)
	Log      io.Writer
	// Encoder gives adapter B the documents' token states at each new
	// pool (with the encoder's current weights); unused by adapter A.
	Encoder *retrieval.Encoder
	// Lexical gives the adapters' lexical-match feature (LexFeature).
	Lexical *Lexical

	// SFN holds s_FN per training query, aligned with the pool's
	// candidates; nil rows (a pool without vectors) mean s_FN = 0.
	SFN [][]float32
	// Fits counts the times the adapters were fitted.
	Fits int
	// Promoted lists the candidates self-training made positives, in
	// the order it promoted them (see SamplerConfig.SelfTrain).
	Promoted []Promotion

	pool *retrieval.Pool // the last pool observed
}

// A Promotion is a pool candidate that self-training made a positive.
type Promotion struct {
	Step  int     // training step of the pool it was promoted from
	Query int     // training query index
	Doc   int32   // corpus index
	SFN   float32 // its s_FN then
}

// NewSampler returns an RRRA sampler over a bi-encoder of dimension dim.
func NewSampler(cfg SamplerConfig, dim int, seed uint64) (*Sampler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	folds := max(1, cfg.Folds)
	s := &Sampler{Cfg: cfg}
	for f := 0; f < folds; f++ {
		mc := DefaultConfig(dim)
		mc.Features = cfg.Features
		a, err := New(mc, seed+uint64(f))
		if err != nil {
			return nil, err
		}
		s.Adapters = append(s.Adapters, a)
	}
	return s, nil
}

// NeedsLexical reports whether the adapters read a lexical feature, and
// so whether the sampler needs its Lexical.
func (c SamplerConfig) NeedsLexical() bool { return c.LexFeature || c.PosLexFeature }

// Name implements retrieval.Sampler.
func (s *Sampler) Name() string { return "rrra" }

// Params lists the sampler's parameters for the run log (see
// SamplerConfig.String).
func (s *Sampler) Params() string { return s.Cfg.String() }

// PoolSource implements retrieval.Sampler.
func (s *Sampler) PoolSource() retrieval.PoolSource { return retrieval.PoolDense }

// PoolK implements retrieval.Sampler.
func (s *Sampler) PoolK() int { return s.Cfg.K }

func (s *Sampler) logf(format string, args ...any) {
	if s.Log != nil {
		fmt.Fprintf(s.Log, format, args...)
	}
}

// ObservePool labels the mining pass behind p, fits the adapters and
// caches s_FN for p's candidates. Without vectors (a BM25 pool, or a pool
// restored from a checkpoint) s_FN is 0 and the base sampler applies.
func (s *Sampler) ObservePool(p *retrieval.Pool, td *retrieval.TrainData, qv, dv []float32, dim int) error {
	s.SFN = make([][]float32, len(p.Cands))
	s.pool = p
	if qv == nil {
		s.logf("rrra: pool without vectors (%s): s_FN = 0 until the next dense refresh\n", p.Source)
		return nil
	}
	began := time.Now()
	var ts *retrieval.TokenStates
	if s.Cfg.Token {
		if s.Encoder == nil {
			return fmt.Errorf("adapter: the RRRA sampler with adapter B needs an Encoder for token states")
		}
		var err error
		if ts, err = s.Encoder.DocTokens(td.Docs, nil); err != nil {
			return err
		}
	}
	if err := s.Fit(td, qv, dv, ts, dim, p.Step); err != nil {
		return err
	}
	var all []Pair
	for q, cands := range p.Cands {
		for _, c := range cands {
			all = append(all, Pair{Query: int32(q), Doc: c.Doc})
		}
	}
	var sum float64
	for i, f := range CrossFitScore(s.Adapters, td, qv, dv, ts, s.lex(), dim, all) {
		q := all[i].Query
		s.SFN[q] = append(s.SFN[q], f)
		sum += float64(f)
	}
	s.logf("rrra: s_FN cached for %d candidates (mean %.3f) in %.1fs\n", len(all), sum/float64(max(1, len(all))), time.Since(began).Seconds())
	if s.Cfg.SelfTrain > 0 {
		n, err := s.promote(p, td)
		if err != nil {
			return err
		}
		s.logf("rrra: self-training promoted %d candidates to positives at step %d (%d in all)\n", n, p.Step, len(s.Promoted))
	}
	return nil
}

// promote makes the candidates of p whose s_FN exceeds SelfTrain (at
// most SelfTrainMax per query, most confident first) positives of their
// query: it moves them from p's candidates to td.Positives, keeping
// p.PosScores aligned with them, and drops their s_FN. It returns how
// many it promoted.
func (s *Sampler) promote(p *retrieval.Pool, td *retrieval.TrainData) (int, error) {
	limit := max(1, s.Cfg.SelfTrainMax)
	n := 0
	for q, row := range s.SFN {
		var idx []int
		for i, f := range row {
			if float64(f) > s.Cfg.SelfTrain {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			continue
		}
		if len(p.PosScores[q]) != len(td.Positives[q]) {
			return n, fmt.Errorf("adapter: self-training: query %s has %d positives and %d positive scores in the pool",
				td.QueryIDs[q], len(td.Positives[q]), len(p.PosScores[q]))
		}
		sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
		idx = idx[:min(len(idx), limit)]
		// Copy on write: the rows may be shared with other holders of
		// the data.
		pos, ps := slices.Clone(td.Positives[q]), slices.Clone(p.PosScores[q])
		drop := make(map[int]bool, len(idx))
		for _, i := range idx {
			c := p.Cands[q][i]
			j, _ := slices.BinarySearch(pos, c.Doc)
			pos, ps = slices.Insert(pos, j, c.Doc), slices.Insert(ps, j, c.Score)
			drop[i] = true
			s.Promoted = append(s.Promoted, Promotion{Step: p.Step, Query: q, Doc: c.Doc, SFN: row[i]})
			n++
		}
		cands := make([]retrieval.Candidate, 0, len(p.Cands[q])-len(idx))
		sfn := make([]float32, 0, len(row)-len(idx))
		for i, c := range p.Cands[q] {
			if !drop[i] {
				cands = append(cands, c)
				sfn = append(sfn, row[i])
			}
		}
		td.Positives[q], p.PosScores[q], p.Cands[q], s.SFN[q] = pos, ps, cands, sfn
	}
	return n, nil
}

// Fit labels the mining pass given by the training queries' and corpus's
// vectors (step names it in the log) and fits each fold's adapter on the
// other folds' pairs (on all pairs without cross-fitting); ts holds the
// corpus's token states for adapter B (nil for A).
func (s *Sampler) Fit(td *retrieval.TrainData, qv, dv []float32, ts *retrieval.TokenStates, dim, step int) error {
	if s.Cfg.NeedsLexical() && s.Lexical == nil {
		return fmt.Errorf("adapter: the RRRA sampler with lex_feature or pos_lex_feature needs a Lexical")
	}
	pairs, st, err := Label(td, qv, dv, dim, s.Cfg.Label, s.lex())
	if err != nil {
		return err
	}
	s.logf("rrra: labels at step %d: %s\n", step, st)
	folds := len(s.Adapters)
	for f, a := range s.Adapters {
		var train []Pair
		for _, pr := range pairs {
			if folds == 1 || foldOf(pr.Query, folds) != f {
				train = append(train, pr)
			}
		}
		fc := s.Cfg.Fit
		fc.Seed = s.Cfg.Fit.Seed + uint64(s.Fits*folds+f)
		loss, err := a.Fit(train, qv, dv, ts, fc)
		if err != nil {
			return err
		}
		s.logf("rrra: adapter %d/%d fitted on %d pairs, loss %.4f\n", f+1, folds, len(train), loss)
	}
	s.Fits++
	return nil
}

// lex returns the lexical feature when the adapters read it.
func (s *Sampler) lex() *Lexical {
	if s.Cfg.NeedsLexical() {
		return s.Lexical
	}
	return nil
}

// foldOf returns the cross-fitting fold of training query q.
func foldOf(q int32, folds int) int { return int(q) % folds }

// CrossFitScore returns p_rel for each pair, each scored by the adapter
// of its query's fold (adapters[q mod len(adapters)], which, fitted by
// Sampler.Fit, never saw that query), after filling the pairs' features;
// ts holds the corpus's token states for adapter B (nil for A), lex the
// lexical feature (nil without).
func CrossFitScore(adapters []*Adapter, td *retrieval.TrainData, qv, dv []float32, ts *retrieval.TokenStates, lex *Lexical, dim int, pairs []Pair) []float32 {
	if c := adapters[0].Cfg; !c.LexFeature && !c.PosLexFeature {
		lex = nil // no adapter reads the lexical columns: skip computing them
	}
	PairFeatures(td, qv, dv, dim, pairs, lex)
	out := make([]float32, len(pairs))
	for f, a := range adapters {
		var mine []Pair
		var at []int
		for i, pr := range pairs {
			if foldOf(pr.Query, len(adapters)) == f {
				mine = append(mine, pr)
				at = append(at, i)
			}
		}
		sc := a.ScorePairs(mine, qv, dv, ts)
		for j, i := range at {
			out[i] = sc.Rel[j]
		}
	}
	return out
}

// Sample draws n negatives: ⌊ρ·n⌋ uniformly from the corpus, the rest by
// Gumbel-top-m over log s_HN + γ·log(1 − s_FN) on the pool.
func (s *Sampler) Sample(rng *rand.Rand, in *retrieval.SampleInput, n int, dst []int32, st *retrieval.SampleStats) []int32 {
	st.Queries++
	c := &s.Cfg
	cands := in.Cands[:min(len(in.Cands), c.K)]
	var sfn []float32
	if in.Query < len(s.SFN) {
		sfn = s.SFN[in.Query]
	}
	nRand := int(math.Floor(c.Rho * float64(n)))
	nHard := n - nRand
	logw := make([]float64, len(cands))
	gated, above := 0, 0
	limit := retrieval.PositiveAwareLimit(in.PosScore, c.PAMargin)
	var topGated []int // by GateTop: indices into cands
	if c.GateTop > 0 && len(sfn) > 0 {
		top := make([]int, min(len(cands), len(sfn), c.GateDepth))
		for i := range top {
			top[i] = i
		}
		sort.SliceStable(top, func(a, b int) bool { return sfn[top[a]] > sfn[top[b]] })
		topGated = top[:min(len(top), c.GateTop)]
	}
	for i, cd := range cands {
		switch c.Base {
		case "softmax":
			logw[i] = float64(cd.Score) / c.TauHN
		case "simans":
			d := float64(cd.Score) - float64(in.PosScore) - c.SimB
			logw[i] = -c.SimA * d * d
		case "positive-aware":
			if float64(cd.Score) > limit {
				logw[i] = math.Inf(-1)
				above++
				continue
			}
			logw[i] = float64(cd.Score) / c.TauHN
		}
		if i < len(sfn) {
			f := float64(sfn[i])
			if (c.ThetaFN > 0 && c.ThetaFN < 1 && f > c.ThetaFN) || slices.Contains(topGated, i) {
				logw[i] = math.Inf(-1)
				gated++
				continue
			}
			if c.Gamma != 0 {
				logw[i] += c.Gamma * math.Log1p(-min(f, 1-1e-7))
			}
		}
	}
	st.Drop("s_FN gate", gated)
	st.Drop("positive-aware threshold", above)
	from := len(dst)
	for _, i := range retrieval.GumbelTop(rng, logw, nHard) {
		dst = append(dst, cands[i].Doc)
	}
	short := nHard - (len(dst) - from)
	dst = retrieval.FillUniform(rng, in, n, dst, from)
	st.Fallback += short
	st.Sampled += len(dst) - from
	return dst
}
