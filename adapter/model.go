package adapter

import (
	"fmt"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// Outcome classes of the bi-encoder's own prediction for a candidate: its
// label y (relevant or not) against its prediction ŷ (ranked within k_pred
// or not).
const (
	TP = iota // relevant, predicted relevant
	FN        // relevant, missed
	FP        // not relevant, predicted relevant
	TN        // not relevant, not predicted
	numOutcomes
)

// outcome returns the class of a candidate that is relevant or not and
// that the bi-encoder predicts relevant or not.
func outcome(relevant, predicted bool) int32 {
	switch {
	case relevant && predicted:
		return TP
	case relevant:
		return FN
	case predicted:
		return FP
	}
	return TN
}

// OutcomeNames names the outcome classes in order.
var OutcomeNames = [numOutcomes]string{"TP", "FN", "FP", "TN"}

// Config sets the adapter's shape.
type Config struct {
	Dim     int     // the bi-encoder's vector length d
	Hidden  int     // trunk width H (0: d)
	Dropout float32 // on the trunk (0.1 by default via DefaultConfig)
	// Features selects the adapter's inputs and heads beyond z.
	Features
}

// Features are the adapter's optional inputs and heads. A SamplerConfig
// carries the same set, and the adapters it makes take it whole.
//
// At query time (reranking) a pair has no other labelled positive: the
// features that read the query's other positives (RelFeature, PosFeature,
// PosLexFeature) then take their defined values for a query without one
// (difference 0, flag 1, similarities 0), exactly as for a training query
// with a single positive. LexFeature needs the corpus's BM25 index and
// Token the corpus's token states: a Reranker refuses adapters that read
// them without them.
type Features struct {
	// NoResidual drops the residual head: a = c, and the losses lose their
	// α̂ and L_norm terms (the paper's "w/o residual" ablation).
	NoResidual bool
	// ScoreFeature also feeds the bi-encoder's own score s = q·c to the
	// trunk (after the LayerNorm, which would blur it) and to the relevance
	// and outcome heads, so the adapter starts from what the dot product
	// knows and learns corrections to it. Off, the adapter sees only z, as
	// the paper describes.
	ScoreFeature bool
	// RelFeature feeds two more features where ScoreFeature feeds s: the
	// candidate's score minus the best score among the query's other
	// labelled positives (what SimANS's kernel reads), and a flag for
	// "no other positive" (then the difference is 0). See PairFeatures.
	RelFeature bool
	// LexFeature feeds one more such feature: the lexical match, the
	// pair's BM25 score over the query's best BM25 score in the corpus
	// (0 to 1; see Lexical), a signal the vectors of a small model lose.
	LexFeature bool
	// PosFeature feeds one more such feature: the candidate's similarity
	// to the query's other labelled positives, max_p c·p over their
	// document vectors (0 when there is none, as at query time). A
	// document like the ones judged relevant is likely relevant too:
	// relevance feedback, which the query-side scores cannot see.
	PosFeature bool
	// PosLexFeature feeds the lexical counterpart of PosFeature: max_p of
	// the TF-IDF cosine of the candidate's text and the other positives'
	// (Lexical.DocSim; 0 without one), a similarity the encoder's training
	// cannot bend.
	PosLexFeature bool
	// NoVectors drops z: the trunk reads only the scalar features (at
	// least one must be on), an ablation that tells what the vectors add
	// to the features.
	NoVectors bool
	// Token makes adapter B: the candidate side of z is not the pooled
	// vector c but c_B = normalise(Σ_j a_j h_j), an attention pooling of
	// the document's last-layer token states h_j with weights
	// a = softmax_j((W_a q + b_a)·h_j) that depend on the query. W_a and
	// b_a start at zero, so c_B starts as the normalised mean of the token
	// states (the bi-encoder's own mean pooling). The residual head still
	// acts on c (a = c + Δ), so α̂ and L_norm mean what they mean for A.
	Token bool
}

// numExtra is the number of pair features Pair.Extra and Score's extra
// hold: s − s⁺, the "no other positive" flag, the lexical match, and the
// dense and lexical similarities to the other positives.
const numExtra = 5

// defaultExtra is a pair's features at query time: no other positive, and
// no lexical match known.
var defaultExtra = [numExtra]float32{0, 1, 0, 0, 0}

// extraAt returns feature col of pair i from extra (Pair.Extra's layout,
// numExtra per pair), or its query-time default when extra is nil.
func extraAt(extra []float32, i, col int) float32 {
	if extra == nil {
		return defaultExtra[col]
	}
	return extra[i*numExtra+col]
}

// scalarFeatures writes pair i's scalar features, as the trunk and heads
// read them after z, into dst: q·c (ScoreFeature) for its vectors qi and
// ci, then the Extra columns the configuration reads.
func (a *Adapter) scalarFeatures(dst, qi, ci, extra []float32, i int) {
	k := 0
	if a.Cfg.ScoreFeature {
		dst[k] = kernels.Dot(qi, ci)
		k++
	}
	for _, col := range a.Cfg.extraCols() {
		dst[k] = extraAt(extra, i, col)
		k++
	}
}

// extraCols returns which of a pair's Extra features the adapter reads.
func (c Config) extraCols() []int {
	var cols []int
	if c.RelFeature {
		cols = append(cols, 0, 1)
	}
	if c.LexFeature {
		cols = append(cols, 2)
	}
	if c.PosFeature {
		cols = append(cols, 3)
	}
	if c.PosLexFeature {
		cols = append(cols, 4)
	}
	return cols
}

// features returns how many scalar features join z and h.
func (c Config) features() int {
	f := len(c.extraCols())
	if c.ScoreFeature {
		f++
	}
	return f
}

// DefaultConfig returns adapter A of docs/method.md for vectors of length d:
// H = d, dropout 0.1, with the residual head.
func DefaultConfig(d int) Config { return Config{Dim: d, Hidden: d, Dropout: 0.1} }

// Adapter is adapter A, the pooled variant: with z = [q − c; q ⊙ c; q + c],
// h = dropout(GELU(W₁·LayerNorm(z) + b₁)), and three heads on h: the
// residual Δ = W₂h + b₂ (zero at initialisation, so a = c + Δ = c), the
// relevance logit ℓ = w_r·h + b_r (p_rel = σ(ℓ)) and four outcome logits.
// It works on cached vectors: training it needs no encoder passes.
type Adapter struct {
	Cfg    Config
	Params *autograd.Params

	lnG, lnB, w1, b1, w2, b2, wr, br, wo, bo *autograd.Var
	wa, ba                                   *autograd.Var // adapter B's query projection

	scoreTape *autograd.Tape // reused by Score: a tape's arena is 64 MiB
	fast      []float32      // Relevance's scratch
}

// New returns an adapter with weights drawn from N(0, 0.02) by seed,
// LayerNorm gains 1, biases 0 and the residual head 0.
func New(cfg Config, seed uint64) (*Adapter, error) {
	if cfg.Dim < 1 {
		return nil, fmt.Errorf("adapter: dimension %d", cfg.Dim)
	}
	if cfg.Hidden == 0 {
		cfg.Hidden = cfg.Dim
	}
	if cfg.Hidden < 1 || cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return nil, fmt.Errorf("adapter: hidden %d, dropout %g", cfg.Hidden, cfg.Dropout)
	}
	if cfg.NoVectors && (cfg.features() == 0 || cfg.Token) {
		return nil, fmt.Errorf("adapter: no_vectors needs a scalar feature, and adapter A")
	}
	d, h := cfg.Dim, cfg.Hidden
	f := cfg.features()
	a := &Adapter{Cfg: cfg, Params: autograd.NewParams()}
	rng := tensor.NewRNG(seed)
	add := func(name string, s tensor.Shape, init string) *autograd.Var {
		v, err := a.Params.Add(name, s)
		if err != nil {
			panic(err) // fixed, distinct names
		}
		switch init {
		case "one":
			v.Value.Fill(1)
		case "normal":
			rng.Normal(&v.Value, 0, 0.02)
		}
		return v
	}
	in := 3*d + f
	if cfg.NoVectors {
		in = f
	} else {
		a.lnG = add("ln.weight", tensor.S(3*d), "one")
		a.lnB = add("ln.bias", tensor.S(3*d), "zero")
	}
	a.w1 = add("trunk.weight", tensor.S(h, in), "normal")
	a.b1 = add("trunk.bias", tensor.S(h), "zero")
	a.w2 = add("residual.weight", tensor.S(d, h), "zero")
	a.b2 = add("residual.bias", tensor.S(d), "zero")
	a.wr = add("relevance.weight", tensor.S(1, h+f), "normal")
	a.br = add("relevance.bias", tensor.S(1), "zero")
	a.wo = add("outcome.weight", tensor.S(numOutcomes, h+f), "normal")
	a.bo = add("outcome.bias", tensor.S(numOutcomes), "zero")
	if cfg.Token {
		a.wa = add("attention.weight", tensor.S(d, d), "zero")
		a.ba = add("attention.bias", tensor.S(d), "zero")
	}
	return a, nil
}

// Output holds the adapter's outputs for n pairs.
type Output struct {
	Delta   *autograd.Var // [n, d] the residual a − c (nil with NoResidual)
	Rel     *autograd.Var // [n, 1] relevance logits
	Outcome *autograd.Var // [n, 4] outcome logits
}

// Forward runs adapter A on n pairs: q and c are [n, d] (constants or
// variables of the tape); extra is [n, f] with the f features the
// configuration reads (see Config.RelFeature and LexFeature), or nil.
func (a *Adapter) Forward(tp *autograd.Tape, q, c, extra *autograd.Var) Output {
	if a.Cfg.Token {
		return Output{Rel: tp.Fail(fmt.Errorf("adapter: adapter B needs token states (ForwardTokens)"))}
	}
	return a.forward(tp, q, c, c, extra)
}

// ForwardTokens runs adapter B on n pairs: q and c as for Forward, tok
// [n, 1, L, d] the candidates' token states padded to L, mask [n, L]
// additive (0 for a token, −Inf for padding).
func (a *Adapter) ForwardTokens(tp *autograd.Tape, q, c, tok *autograd.Var, mask *tensor.Tensor, extra *autograd.Var) Output {
	if !a.Cfg.Token {
		return Output{Rel: tp.Fail(fmt.Errorf("adapter: ForwardTokens on adapter A"))}
	}
	n, d := q.Value.Shape.Dim(0), a.Cfg.Dim
	qa := tp.Reshape(tp.Linear(q, a.wa, a.ba), tensor.S(n, 1, 1, d))
	pooled := tp.Reshape(tp.Attention(qa, tok, tok, mask, 1), tensor.S(n, d))
	return a.forward(tp, q, c, tp.L2Normalize(pooled, 1e-12), extra)
}

// forward is the trunk and heads on z = [q − cz; q ⊙ cz; q + cz], with the
// score feature q·c and the residual on c.
func (a *Adapter) forward(tp *autograd.Tape, q, c, cz, extra *autograd.Var) Output {
	qc := tp.Mul(q, cz)
	var z *autograd.Var
	if !a.Cfg.NoVectors {
		z = tp.LayerNorm(tp.Concat(tp.Sub(q, cz), qc, tp.Add(q, cz)), a.lnG, a.lnB, 1e-5)
	}
	var feats []*autograd.Var
	if a.Cfg.ScoreFeature {
		if cz != c {
			qc = tp.Mul(q, c)
		}
		feats = append(feats, rowSums(tp, qc, a.Cfg.Dim))
	}
	if len(a.Cfg.extraCols()) > 0 {
		feats = append(feats, extra)
	}
	switch {
	case z == nil:
		z = tp.Concat(feats...)
	case len(feats) > 0:
		z = tp.Concat(append([]*autograd.Var{z}, feats...)...)
	}
	h := tp.GELU(tp.Linear(z, a.w1, a.b1))
	if a.Cfg.Dropout > 0 {
		h = tp.Dropout(h, a.Cfg.Dropout)
	}
	hh := h
	if len(feats) > 0 {
		hh = tp.Concat(append([]*autograd.Var{h}, feats...)...)
	}
	out := Output{Rel: tp.Linear(hh, a.wr, a.br), Outcome: tp.Linear(hh, a.wo, a.bo)}
	if !a.Cfg.NoResidual {
		out.Delta = tp.Linear(h, a.w2, a.b2)
	}
	return out
}
