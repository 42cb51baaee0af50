package adapter

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/tensor"
)

// FitConfig sets stage 2: training the adapter on cached vectors with the
// encoder frozen.
type FitConfig struct {
	Epochs      int     // passes over the pairs (0: 10)
	Batch       int     // pairs per step (0: 256)
	LR          float64 // AdamW learning rate (0: 1e-3)
	WeightDecay float64
	Loss        LossConfig
	Seed        uint64
	Log         io.Writer // one line per epoch; nil: quiet
}

// withDefaults fills the fields whose zero value means a default.
func (c FitConfig) withDefaults() FitConfig {
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.Batch == 0 {
		c.Batch = 256
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	return c
}

// Fit trains the adapter on pairs, whose vectors are rows of qv (queries)
// and dv (documents), and returns the mean loss of the last epoch. ts
// holds the corpus's token states for adapter B (nil for A).
func (a *Adapter) Fit(pairs []Pair, qv, dv []float32, ts *retrieval.TokenStates, cfg FitConfig) (float64, error) {
	cfg = cfg.withDefaults()
	if len(pairs) == 0 {
		return 0, fmt.Errorf("adapter: Fit: no pairs")
	}
	if err := a.checkTokens(ts); err != nil {
		return 0, err
	}
	tp := autograd.NewTape(cfg.Seed ^ 0xada)
	tp.SetTraining(true)
	opt := nn.NewAdamW(a.Params, nn.AdamWConfig{WeightDecay: cfg.WeightDecay})
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xf17))
	order := make([]int, len(pairs))
	for i := range order {
		order[i] = i
	}
	last := 0.0
	for e := 0; e < cfg.Epochs; e++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		sum, n := 0.0, 0
		for lo := 0; lo < len(order); lo += cfg.Batch {
			hi := min(lo+cfg.Batch, len(order))
			b := a.gather(pairs, order[lo:hi], qv, dv, ts)
			tp.Reset()
			a.Params.ZeroGrad()
			loss, _ := a.Loss(tp, b, cfg.Loss)
			if err := tp.Backward(loss); err != nil {
				return 0, fmt.Errorf("adapter: Fit: epoch %d: %w", e, err)
			}
			opt.Step(cfg.LR)
			sum += float64(loss.Data()[0]) * float64(hi-lo)
			n += hi - lo
		}
		last = sum / float64(n)
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "adapter epoch %d/%d: loss %.4f\n", e+1, cfg.Epochs, last)
		}
	}
	return last, nil
}

// checkTokens checks that adapter B has token states of its dimension,
// and A none.
func (a *Adapter) checkTokens(ts *retrieval.TokenStates) error {
	switch {
	case a.Cfg.Token && ts == nil:
		return fmt.Errorf("adapter: adapter B needs the corpus's token states")
	case a.Cfg.Token && ts.Dim != a.Cfg.Dim:
		return fmt.Errorf("adapter: token states of dimension %d for an adapter of %d", ts.Dim, a.Cfg.Dim)
	}
	return nil
}

// gather builds a batch from the pairs at idx.
func (a *Adapter) gather(pairs []Pair, idx []int, qv, dv []float32, ts *retrieval.TokenStates) *Batch {
	n, d, cols := len(idx), a.Cfg.Dim, a.Cfg.extraCols()
	b := &Batch{Q: tensor.New(tensor.S(n, d)), C: tensor.New(tensor.S(n, d)),
		Y: make([]float32, n), Class: make([]int32, n), Weight: make([]float32, n), Extra: tensor.New(tensor.S(n, len(cols)))}
	for r, i := range idx {
		p := pairs[i]
		copy(b.Q.Data[r*d:(r+1)*d], qv[int(p.Query)*d:])
		copy(b.C.Data[r*d:(r+1)*d], dv[int(p.Doc)*d:])
		b.Y[r], b.Class[r], b.Weight[r] = p.Y, p.Class, p.Weight
		for k, col := range cols {
			b.Extra.Data[r*len(cols)+k] = p.Extra[col]
		}
	}
	if ts != nil {
		b.Tok, b.TokMask = padTokens(n, d, func(r int) []float32 { return ts.Doc(int(pairs[idx[r]].Doc)) })
	}
	return b
}

// padTokens lays out n token-state lists (tok(r), a multiple of d values)
// as [n, 1, L, d] with L the longest, and the additive mask [n, L] that
// hides the padding.
func padTokens(n, d int, tok func(r int) []float32) (*tensor.Tensor, *tensor.Tensor) {
	l := 1
	for r := 0; r < n; r++ {
		l = max(l, len(tok(r))/d)
	}
	t := tensor.New(tensor.S(n, 1, l, d))
	m := tensor.New(tensor.S(n, l))
	for r := 0; r < n; r++ {
		src := tok(r)
		copy(t.Data[r*l*d:], src)
		for j := len(src) / d; j < l; j++ {
			m.Data[r*l+j] = float32(math.Inf(-1))
		}
	}
	return t, m
}

// Scores holds the adapter's estimates for n pairs.
type Scores struct {
	Rel     []float32              // p_rel = σ(relevance logit)
	Outcome [][numOutcomes]float32 // outcome probabilities
	Alpha   []float32              // α̂ (0 without the residual head)
}

// Score runs adapter A in inference mode (no dropout) on n pairs whose
// query and candidate vectors are the rows of q and c ([n, d] each), with
// their PairFeatures in extra ([n, numExtra], Pair.Extra's layout; nil: "no other
// positive" and no lexical match for all). It reuses one tape across calls, so an Adapter must not
// Score from two goroutines at once. Adapter B needs ScoreTokens.
func (a *Adapter) Score(q, c, extra []float32, n int) Scores {
	if a.Cfg.Token {
		panic("adapter: Score on adapter B; use ScoreTokens")
	}
	return a.ScoreTokens(q, c, extra, nil, n)
}

// ScoreTokens is Score for either adapter: tok(i) returns pair i's
// candidate token states (adapter B; nil for A).
func (a *Adapter) ScoreTokens(q, c, extra []float32, tok func(i int) []float32, n int) Scores {
	if a.Cfg.Token && tok == nil {
		panic("adapter: adapter B scored without token states")
	}
	d := a.Cfg.Dim
	s := Scores{Rel: make([]float32, n), Outcome: make([][numOutcomes]float32, n), Alpha: make([]float32, n)}
	if a.scoreTape == nil {
		a.scoreTape = autograd.NewTape(0)
		a.scoreTape.NoGrad(true)
		a.scoreTape.SetTraining(false)
	}
	tp := a.scoreTape
	av := make([]float32, d) // one adapted vector at a time, for α̂
	const chunk = 1024
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		qt, _ := tensor.FromData(tensor.S(hi-lo, d), q[lo*d:hi*d])
		ct, _ := tensor.FromData(tensor.S(hi-lo, d), c[lo*d:hi*d])
		tp.Reset()
		var ev *autograd.Var
		if cols := a.Cfg.extraCols(); len(cols) > 0 {
			et := tensor.New(tensor.S(hi-lo, len(cols)))
			for i := 0; i < hi-lo; i++ {
				for k, col := range cols {
					et.Data[i*len(cols)+k] = extraAt(extra, lo+i, col)
				}
			}
			ev = tp.Const(et)
		}
		var out Output
		if a.Cfg.Token {
			tt, tm := padTokens(hi-lo, d, func(r int) []float32 { return tok(lo + r) })
			out = a.ForwardTokens(tp, tp.Const(qt), tp.Const(ct), tp.Const(tt), tm, ev)
		} else {
			out = a.Forward(tp, tp.Const(qt), tp.Const(ct), ev)
		}
		for i := lo; i < hi; i++ {
			s.Rel[i] = sigmoid(out.Rel.Data()[i-lo])
			o := out.Outcome.Data()[(i-lo)*numOutcomes : (i-lo+1)*numOutcomes]
			m := max(o[0], o[1], o[2], o[3])
			var z float32
			for k := range o {
				s.Outcome[i][k] = float32(math.Exp(float64(o[k] - m)))
				z += s.Outcome[i][k]
			}
			for k := range o {
				s.Outcome[i][k] /= z
			}
			if out.Delta != nil {
				for j := 0; j < d; j++ {
					av[j] = c[i*d+j] + out.Delta.Data()[(i-lo)*d+j]
				}
				s.Alpha[i] = float32(AlphaHat(q[i*d:(i+1)*d], c[i*d:(i+1)*d], av))
			}
		}
	}
	return s
}

// ScorePairs scores pairs whose vectors are rows of qv and dv, and whose
// documents' token states, for adapter B, are in ts.
func (a *Adapter) ScorePairs(pairs []Pair, qv, dv []float32, ts *retrieval.TokenStates) Scores {
	d := a.Cfg.Dim
	q := make([]float32, len(pairs)*d)
	c := make([]float32, len(pairs)*d)
	extra := make([]float32, len(pairs)*numExtra)
	for i, p := range pairs {
		copy(q[i*d:(i+1)*d], qv[int(p.Query)*d:])
		copy(c[i*d:(i+1)*d], dv[int(p.Doc)*d:])
		copy(extra[i*numExtra:], p.Extra[:])
	}
	var tok func(int) []float32
	if ts != nil {
		tok = func(i int) []float32 { return ts.Doc(int(pairs[i].Doc)) }
	}
	return a.ScoreTokens(q, c, extra, tok, len(pairs))
}

func sigmoid(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}
