package adapter

import (
	"fmt"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/bm25"
)

// A TrainingSampler is RRRA's sampler set up for a training run: the
// sampler itself, the stage-3 loss to join to InfoNCE (nil when
// LambdaAd is 0) and the training data the run must use (td itself, or
// with self-training a copy whose positives the sampler may extend).
type TrainingSampler struct {
	*Sampler
	Aux  retrieval.AuxLoss
	Data *retrieval.TrainData
}

// NewTrainingSampler checks cfg and assembles RRRA's sampler for training
// enc's bi-encoder on td: adapters of enc's width seeded by seed (their
// fitting and labelling too), the encoder for adapter B's token states,
// the lexical feature when the adapters read it (over bm, or a BM25 index
// built from td when bm is nil), self-training's own copy of the data and
// stage 3's joint loss. Give the trainer ts.Sampler, ts.Aux and ts.Data.
func NewTrainingSampler(cfg SamplerConfig, enc *retrieval.Encoder, td *retrieval.TrainData, bm *bm25.Index, seed uint64) (*TrainingSampler, error) {
	if enc == nil || td == nil {
		return nil, fmt.Errorf("adapter: NewTrainingSampler needs an encoder and training data")
	}
	cfg.Fit.Seed, cfg.Label.Seed = seed, seed
	s, err := NewSampler(cfg, enc.Dim(), seed)
	if err != nil {
		return nil, err
	}
	s.Encoder = enc
	if cfg.NeedsLexical() {
		if bm == nil {
			bm = retrieval.BuildBM25(td)
		}
		s.Lexical = NewLexical(bm)
	}
	ts := &TrainingSampler{Sampler: s, Data: td}
	if cfg.SelfTrain > 0 {
		// Self-training adds positives: to this run's data only.
		ts.Data = td.WithOwnPositives()
	}
	if cfg.LambdaAd != 0 {
		if ts.Aux, err = NewJoint(s, ts.Data, cfg.LambdaAd); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// Prepare sets up a retrieval.Trainer for RRRA: its sampler, stage-3 loss
// and data, and the initial pool: a dense one mined by the model at step
// 0 unless the trainer asked for another, because the adapters judge the
// model's own candidates.
func (ts *TrainingSampler) Prepare(tr *retrieval.Trainer) {
	tr.Sampler, tr.Data = ts.Sampler, ts.Data
	if ts.Aux != nil {
		tr.Aux = ts.Aux
	}
	if tr.Cfg.InitialPool == "" {
		tr.Cfg.InitialPool = "dense"
	}
}

// FitFolds labels one mining pass, given by the training queries' and
// the corpus's vectors (qv, dv: rows of width dim, from the same model),
// and fits cfg's cross-fitted adapters on it, as the RRRA sampler does at
// each refresh: the adapters to rerank a trained model's results with, or
// to audit its labels. ts holds the corpus's token states for adapter B
// (nil for A), lex the lexical feature (nil unless the adapters read it).
// seed seeds the adapters, their labels and their fitting.
func FitFolds(cfg SamplerConfig, td *retrieval.TrainData, qv, dv []float32, ts *retrieval.TokenStates, lex *Lexical, dim int, seed uint64) (Folds, error) {
	cfg.Fit.Seed, cfg.Label.Seed = seed, seed
	s, err := NewSampler(cfg, dim, seed)
	if err != nil {
		return nil, err
	}
	if cfg.NeedsLexical() && lex == nil {
		return nil, fmt.Errorf("adapter: the adapters read a lexical feature: FitFolds needs a Lexical")
	}
	s.Lexical = lex
	if err := s.Fit(td, qv, dv, ts, dim, 0); err != nil {
		return nil, err
	}
	return s.Adapters, nil
}
