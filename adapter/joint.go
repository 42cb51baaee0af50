package adapter

import (
	"fmt"
	"slices"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/retrieval"
)

// Joint is RRRA's stage-3 term λ_ad·L_adapter, a retrieval.AuxLoss: on
// every training batch the sampler's adapters judge the batch's pairs,
// each query's positive (y = 1) and its sampled negatives (y = 0), and
// the term's gradient reaches both the adapters and, through the pooled
// vectors, the encoder. Each fold's adapter learns only from the other
// folds' queries, as in stage 2, so cross-fitting holds.
//
// L_adapter here is the weighted BCE on p_rel plus μ·CE on the outcome
// classes (β = 0 in stage 3, docs/method.md "Schedule"; ν is also 0,
// since α̂ would need u = q − c to carry gradient). A pair's outcome class follows its
// rank in the current pool (the bi-encoder predicts "relevant" within
// Label.KPred); a document outside the pool counts as missed. Classes are
// weighted within the batch as Label weighs them (N/(4·N_k), clipped to
// [0.25, 4], mean 1). Until the sampler has fitted its adapters on a dense
// pool, the term is absent.
type Joint struct {
	S      *Sampler
	Data   *retrieval.TrainData // the training data of the sampler's pools
	Lambda float64              // λ_ad

	opts []*nn.AdamW
}

// NewJoint returns the stage-3 term for s's adapters, which must be
// adapter A without RelFeature, LexFeature, PosFeature or PosLexFeature
// (the batch has neither s⁺, BM25 scores nor the other positives to give
// it).
func NewJoint(s *Sampler, td *retrieval.TrainData, lambda float64) (*Joint, error) {
	for _, a := range s.Adapters {
		if a.Cfg.Token || a.Cfg.RelFeature || a.Cfg.LexFeature || a.Cfg.PosFeature || a.Cfg.PosLexFeature {
			return nil, fmt.Errorf("adapter: the stage-3 joint loss supports adapter A without rel_feature, lex_feature, pos_feature or pos_lex_feature")
		}
	}
	j := &Joint{S: s, Data: td, Lambda: lambda}
	for _, a := range s.Adapters {
		j.opts = append(j.opts, nn.NewAdamW(a.Params, nn.AdamWConfig{WeightDecay: s.Cfg.Fit.WeightDecay}))
	}
	return j, nil
}

// Loss implements retrieval.AuxLoss.
func (j *Joint) Loss(tp *autograd.Tape, q, d *autograd.Var, queries []int, docs []int32, group int) *autograd.Var {
	s := j.S
	if j.Lambda == 0 || s.Fits == 0 || s.pool == nil {
		return nil
	}
	kPred := s.Cfg.Label.KPred
	if kPred == 0 {
		kPred = 20
	}
	folds := len(s.Adapters)
	var total *autograd.Var
	for f, a := range s.Adapters {
		a.Params.ZeroGrad()
		var qi, di []int32
		b := &Batch{}
		for i, qu := range queries {
			if folds > 1 && foldOf(int32(qu), folds) == f {
				continue
			}
			for k := 0; k < group; k++ {
				doc := docs[i*group+k]
				y := float32(0)
				if k == 0 {
					y = 1
				}
				r := j.rank(qu, doc, y == 1)
				pred := r > 0 && r <= kPred
				cls := outcome(y == 1, pred)
				qi, di = append(qi, int32(i)), append(di, int32(i*group+k))
				b.Y, b.Class = append(b.Y, y), append(b.Class, cls)
			}
		}
		if len(qi) == 0 {
			continue
		}
		b.Weight = batchWeights(b.Class)
		l, _ := a.lossOn(tp, tp.Embedding(q, qi), tp.Embedding(d, di), b, LossConfig{Mu: s.Cfg.Fit.Loss.Mu})
		if total == nil {
			total = l
		} else {
			total = tp.Add(total, l)
		}
	}
	if total == nil {
		return nil
	}
	return tp.Scale(total, float32(j.Lambda/float64(folds)))
}

// Step implements retrieval.AuxLoss: an AdamW step of every adapter at
// stage 2's learning rate.
func (j *Joint) Step() {
	if j.S.Fits == 0 || j.S.pool == nil || j.Lambda == 0 {
		return
	}
	lr := j.S.Cfg.Fit.LR
	if lr == 0 {
		lr = 1e-3
	}
	for _, o := range j.opts {
		o.Step(lr)
	}
}

// rank returns doc's 1-based rank for training query q in the current
// pool's ranking (pool candidates and the query's positives, by score), or
// 0 when the pool does not hold it.
func (j *Joint) rank(q int, doc int32, positive bool) int {
	p := j.S.pool
	cands := p.Cands[q]
	var score float32
	if positive {
		pos := j.Data.Positives[q]
		i, ok := slices.BinarySearch(pos, doc)
		if !ok || i >= len(p.PosScores[q]) {
			return 0
		}
		score = p.PosScores[q][i]
	} else {
		i := slices.IndexFunc(cands, func(c retrieval.Candidate) bool { return c.Doc == doc })
		if i < 0 {
			return 0
		}
		score = cands[i].Score
	}
	r := 1
	for _, c := range cands {
		if c.Score > score {
			r++
		}
	}
	for _, ps := range p.PosScores[q] {
		if ps > score {
			r++
		}
	}
	return r
}

// batchWeights returns Label's class weights for a batch's classes, per
// pair.
func batchWeights(classes []int32) []float32 {
	var count [numOutcomes]int
	for _, c := range classes {
		count[c]++
	}
	w := classWeights(count)
	out := make([]float32, len(classes))
	for i, c := range classes {
		out[i] = w[c]
	}
	return out
}

var _ retrieval.AuxLoss = (*Joint)(nil)
