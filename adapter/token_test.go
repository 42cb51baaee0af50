package adapter

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/tensor"
)

// copyShared copies every parameter of from into the parameter of to with
// the same name (adapter B has all of adapter A's, and two more).
func copyShared(t *testing.T, to, from *Adapter) {
	t.Helper()
	for i := 0; i < from.Params.Len(); i++ {
		v, ok := to.Params.Lookup(from.Params.Name(i))
		if !ok {
			t.Fatalf("adapter B lacks %s", from.Params.Name(i))
		}
		copy(v.Value.Data, from.Params.Var(i).Value.Data)
	}
}

// TestTokenReducesToPooled checks adapter B against adapter A exactly
// where they must agree: when every token state of a candidate equals its
// (unit) pooled vector c, attention pooling gives c back whatever the
// attention weights, so B with A's weights must give A's outputs.
func TestTokenReducesToPooled(t *testing.T) {
	const n, d = 9, 6
	cfg := Config{Dim: d, Hidden: 5, Features: Features{ScoreFeature: true}}
	a, _ := New(cfg, 3)
	cfg.Token = true
	b, _ := New(cfg, 4)
	r := tensor.NewRNG(5)
	r.Normal(&a.w2.Value, 0, 0.5)
	copyShared(t, b, a)
	r.Normal(&b.wa.Value, 0, 1) // any attention: all tokens are equal
	r.Normal(&b.ba.Value, 0, 1)
	bt := testBatch(n, d, 6)
	for i := 0; i < n; i++ { // unit candidates, as the bi-encoder's
		c := bt.C.Data[i*d : (i+1)*d]
		s := 0.0
		for _, x := range c {
			s += float64(x) * float64(x)
		}
		for j := range c {
			c[j] = float32(float64(c[j]) / math.Sqrt(s))
		}
	}
	tok := func(i int) []float32 { // 1 to 4 copies of c_i
		var out []float32
		for k := 0; k <= i%4; k++ {
			out = append(out, bt.C.Data[i*d:(i+1)*d]...)
		}
		return out
	}
	sa := a.Score(bt.Q.Data, bt.C.Data, nil, n)
	sb := b.ScoreTokens(bt.Q.Data, bt.C.Data, nil, tok, n)
	for i := 0; i < n; i++ {
		if math.Abs(float64(sa.Rel[i]-sb.Rel[i])) > 1e-5 || math.Abs(float64(sa.Alpha[i]-sb.Alpha[i])) > 1e-5 {
			t.Fatalf("pair %d: A p_rel %v α̂ %v, B p_rel %v α̂ %v", i, sa.Rel[i], sa.Alpha[i], sb.Rel[i], sb.Alpha[i])
		}
		for k := range sa.Outcome[i] {
			if math.Abs(float64(sa.Outcome[i][k]-sb.Outcome[i][k])) > 1e-5 {
				t.Fatalf("pair %d outcome %d: A %v, B %v", i, k, sa.Outcome[i][k], sb.Outcome[i][k])
			}
		}
	}
	if sa.Rel[0] == sa.Rel[1] {
		t.Fatal("degenerate pairs")
	}
}

// TestTokenLossGradients checks adapter B's loss and its gradient with
// respect to the attention and every other parameter against a float64
// reference (attention pooling written out, then ref64) and finite
// differences of it.
func TestTokenLossGradients(t *testing.T) {
	const n, d, h = 5, 4, 3
	a, _ := New(Config{Dim: d, Hidden: h, Features: Features{Token: true, ScoreFeature: true}}, 7)
	r := tensor.NewRNG(9)
	for _, v := range []*autograd.Var{a.w2, a.wr, a.wo, a.w1, a.wa, a.ba} {
		r.Normal(&v.Value, 0, 0.5)
	}
	r.Normal(&a.lnG.Value, 1, 0.2)
	b := testBatch(n, d, 10)
	// Ragged token lists: pair i has i%3+1 tokens, padded to 3.
	const l = 3
	rr := rand.New(rand.NewPCG(11, 1))
	b.Tok, b.TokMask = padTokens(n, d, func(i int) []float32 {
		out := make([]float32, (i%3+1)*d)
		for j := range out {
			out[j] = float32(rr.NormFloat64())
		}
		return out
	})
	if b.Tok.Shape != tensor.S(n, 1, l, d) {
		t.Fatalf("tokens %v", b.Tok.Shape)
	}
	lc := LossConfig{Mu: 0.7, Nu: 1.3, Beta: 0.4}
	params := []*autograd.Var{a.lnG, a.lnB, a.w1, a.b1, a.w2, a.b2, a.wr, a.br, a.wo, a.bo, a.wa, a.ba}
	var inputs []*tensor.Tensor
	for _, p := range params {
		inputs = append(inputs, p.Value.Clone())
	}
	err := autograd.GradCheck{
		Name:   "adapter B loss",
		Inputs: inputs,
		Build: func(tp *autograd.Tape, in []*autograd.Var) *autograd.Var {
			x := *a
			x.lnG, x.lnB, x.w1, x.b1, x.w2, x.b2, x.wr, x.br, x.wo, x.bo, x.wa, x.ba = in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], in[8], in[9], in[10], in[11]
			loss, _ := x.Loss(tp, b, lc)
			return loss
		},
		Ref: func(in [][]float64) []float64 {
			wa, ba := in[10], in[11]
			cz := make([]float64, n*d)
			for i := 0; i < n; i++ {
				qa := make([]float64, d)
				for k := 0; k < d; k++ {
					qa[k] = ba[k]
					for j := 0; j < d; j++ {
						qa[k] += wa[k*d+j] * float64(b.Q.Data[i*d+j])
					}
				}
				tok := b.Tok.Data[i*l*d : (i+1)*l*d]
				var w []float64
				for s := 0; s < l && b.TokMask.Data[i*l+s] == 0; s++ {
					e := 0.0
					for k := 0; k < d; k++ {
						e += qa[k] * float64(tok[s*d+k])
					}
					w = append(w, e)
				}
				m := math.Inf(-1)
				for _, e := range w {
					m = math.Max(m, e)
				}
				z := 0.0
				for s := range w {
					w[s] = math.Exp(w[s] - m)
					z += w[s]
				}
				norm := 0.0
				for k := 0; k < d; k++ {
					for s := range w {
						cz[i*d+k] += w[s] / z * float64(tok[s*d+k])
					}
					norm += cz[i*d+k] * cz[i*d+k]
				}
				for k := 0; k < d; k++ {
					cz[i*d+k] /= math.Sqrt(norm)
				}
			}
			return []float64{ref64(in, b, d, h, lc, true, false, cz)}
		},
	}.Run()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTokenFindsTermMatch checks that adapter B learns what pooled vectors
// lose: a candidate is relevant when one of its 12 token states matches
// the query, a signal that mean pooling dilutes twelvefold. The per-epoch
// losses of both fits must match testdata/fit_golden.json (see
// goldenFitTol), and held out, B's p_rel must separate relevant candidates
// better than A's (measured: AUC 0.799 against 0.559).
func TestTokenFindsTermMatch(t *testing.T) {
	const d, tokens, nq, per = 16, 12, 60, 16
	rng := rand.New(rand.NewPCG(21, 3))
	randn := func(v []float32, s float64) {
		for i := range v {
			v[i] = float32(s * rng.NormFloat64())
		}
	}
	unit := func(v []float32) {
		s := 0.0
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		for i := range v {
			v[i] = float32(float64(v[i]) / math.Sqrt(s))
		}
	}
	nd := nq * per
	qv := make([]float32, nq*d)
	dv := make([]float32, nd*d)
	ts := &retrieval.TokenStates{Dim: d, Off: make([]int, nd+1), Data: make([]float32, nd*tokens*d)}
	var pairs []Pair
	for q := 0; q < nq; q++ {
		randn(qv[q*d:(q+1)*d], 1)
		unit(qv[q*d : (q+1)*d])
		for k := 0; k < per; k++ {
			doc := q*per + k
			ts.Off[doc+1] = ts.Off[doc] + tokens
			tk := ts.Doc(doc)
			randn(tk, 1)
			y := float32(0)
			if k%2 == 0 { // relevant: one token is the query, scaled like the rest
				y = 1
				j := rng.IntN(tokens)
				for x := 0; x < d; x++ {
					tk[j*d+x] = 4 * qv[q*d+x]
				}
			}
			c := dv[doc*d : (doc+1)*d]
			for j := 0; j < tokens; j++ {
				for x := 0; x < d; x++ {
					c[x] += tk[j*d+x] / tokens
				}
			}
			unit(c)
			cls := int32(TN)
			if y == 1 {
				cls = FN
			}
			pairs = append(pairs, Pair{Query: int32(q), Doc: int32(doc), Y: y, Class: cls, Weight: 1})
		}
	}
	train, held := pairs[:len(pairs)*3/4], pairs[len(pairs)*3/4:]
	fc := FitConfig{Epochs: 60, Batch: 64, LR: 3e-3, Loss: DefaultLoss, Seed: 1}
	auc := map[bool]float64{}
	for _, token := range []bool{false, true} {
		cfg := DefaultConfig(d)
		cfg.Token = token
		a, _ := New(cfg, 2)
		var tts *retrieval.TokenStates
		if token {
			tts = ts
		}
		var log strings.Builder
		fc.Log = &log
		last, err := a.Fit(train, qv, dv, tts, fc)
		if err != nil {
			t.Fatal(err)
		}
		name := "term match A"
		if token {
			name = "term match B"
		}
		checkGolden(t, goldenFitPath, name, fitLosses(t, log.String(), last), goldenFitTol)
		s := a.ScorePairs(held, qv, dv, tts)
		scores := make([]float64, len(held))
		labels := make([]bool, len(held))
		for i, p := range held {
			scores[i], labels[i] = float64(s.Rel[i]), p.Y == 1
		}
		auc[token] = ROCAUC(scores, labels)
	}
	t.Logf("held-out AUC of p_rel: adapter A %.3f, adapter B %.3f", auc[false], auc[true])
	if !(auc[true] > auc[false]) {
		t.Errorf("adapter B AUC %.3f, not above adapter A's %.3f", auc[true], auc[false])
	}
}

// TestTokenSaveLoad checks that adapter B keeps its kind and attention
// weights through Save and Load.
func TestTokenSaveLoad(t *testing.T) {
	a, _ := New(Config{Dim: 4, Hidden: 3, Features: Features{Token: true}}, 1)
	tensor.NewRNG(2).Normal(&a.wa.Value, 0, 1)
	path := t.TempDir() + "/b.safetensors"
	if err := Save(path, []*Adapter{a}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].Cfg.Token || got[0].wa == nil {
		t.Fatalf("loaded %+v", got[0].Cfg)
	}
	for i, v := range a.Params.Data() {
		if got[0].Params.Data()[i] != v {
			t.Fatalf("value %d differs", i)
		}
	}
}

// TestRelevanceMatchesScore checks the tape-free reranking path against
// Score for every feature set, with trained-looking (random) weights.
func TestRelevanceMatchesScore(t *testing.T) {
	for _, f := range [][6]bool{{false, false, false}, {true, false, false}, {false, true, false}, {true, true, true}, {false, false, true},
		{true, false, true, true}, {false, false, false, false, true}, {false, false, false, false, false, true}, {true, true, true, true, true, true}} {
		a, err := New(Config{Dim: 12, Hidden: 10, Features: Features{ScoreFeature: f[0], RelFeature: f[1], LexFeature: f[2], NoVectors: f[3], PosFeature: f[4],
			PosLexFeature: f[5]}, Dropout: 0.1}, 3)
		if err != nil {
			t.Fatal(err)
		}
		r := tensor.NewRNG(4)
		for _, v := range []*autograd.Var{a.w1, a.b1, a.wr, a.br} {
			r.Normal(&v.Value, 0, 0.5)
		}
		if !a.Cfg.NoVectors {
			r.Normal(&a.lnB.Value, 0, 0.5)
			r.Normal(&a.lnG.Value, 1, 0.3)
		}
		b := testBatch(37, 12, 5)
		extra := make([]float32, 37*numExtra)
		for i := range extra {
			extra[i] = float32(i%5) / 4
		}
		for _, x := range [][]float32{nil, extra} {
			want := a.Score(b.Q.Data, b.C.Data, x, 37).Rel
			got := a.Relevance(b.Q.Data, b.C.Data, x, 37, nil)
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 2e-6 {
					t.Fatalf("features %v, extra %v, pair %d: Relevance %v, Score %v", f, x != nil, i, got[i], want[i])
				}
			}
			// One query against every candidate: RelevanceOne's algebra.
			q := b.Q.Data[:12]
			qs := make([]float32, 0, 37*12)
			for i := 0; i < 37; i++ {
				qs = append(qs, q...)
			}
			want = a.Score(qs, b.C.Data, x, 37).Rel
			got = a.RelevanceOne(q, b.C.Data, x, 37, nil)
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-5 {
					t.Fatalf("features %v, extra %v, pair %d: RelevanceOne %v, Score %v", f, x != nil, i, got[i], want[i])
				}
			}
		}
	}
}
