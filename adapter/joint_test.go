package adapter

import (
	"math"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/tensor"
)

// jointSetup fits a two-fold sampler (no dropout) on a synthetic mining
// pass and returns it with its data.
func jointSetup(t *testing.T) (*Joint, *retrieval.TrainData, []float32, []float32) {
	t.Helper()
	const d = 16
	td, qv, dv := synthetic(40, 300, d, 7)
	cfg := DefaultSamplerConfig()
	cfg.K, cfg.Label.KLab, cfg.Fit.Epochs, cfg.Label.KPred = 30, 40, 3, 5
	s, err := NewSampler(cfg, d, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Adapters {
		a.Cfg.Dropout = 0
	}
	pool, err := retrieval.MineDense(td, qv, dv, d, 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ObservePool(pool, td, qv, dv, d); err != nil {
		t.Fatal(err)
	}
	j, err := NewJoint(s, td, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	return j, td, qv, dv
}

// TestJointRank checks the outcome ranks against a brute-force ranking of
// each query's pool candidates and positives.
func TestJointRank(t *testing.T) {
	j, td, _, _ := jointSetup(t)
	p := j.S.pool
	for q := range p.Cands {
		type sd struct {
			doc   int32
			score float32
			pos   bool
		}
		var all []sd
		for _, c := range p.Cands[q] {
			all = append(all, sd{c.Doc, c.Score, false})
		}
		for i, d := range td.Positives[q] {
			all = append(all, sd{d, p.PosScores[q][i], true})
		}
		for _, x := range all {
			want := 1
			for _, y := range all {
				if y.score > x.score {
					want++
				}
			}
			if got := j.rank(q, x.doc, x.pos); got != want {
				t.Fatalf("query %d doc %d: rank %d, want %d", q, x.doc, got, want)
			}
		}
		if got := j.rank(q, -5, false); got != 0 {
			t.Fatalf("a document outside the pool has rank %d", got)
		}
	}
}

// TestJointGradient checks that the stage-3 term's gradient with respect
// to the pooled vectors, which is what reaches the encoder, matches
// central finite differences of the term, and that it is absent at λ = 0.
func TestJointGradient(t *testing.T) {
	j, td, qv, dv := jointSetup(t)
	const d, group = 16, 3
	queries := []int{0, 1, 2, 5}
	var docs []int32
	for _, q := range queries {
		docs = append(docs, td.Positives[q][0], j.S.pool.Cands[q][0].Doc, j.S.pool.Cands[q][7].Doc)
	}
	qt := tensor.New(tensor.S(len(queries), d))
	dt := tensor.New(tensor.S(len(docs), d))
	for i, q := range queries {
		copy(qt.Data[i*d:(i+1)*d], qv[q*d:])
	}
	for i, doc := range docs {
		copy(dt.Data[i*d:(i+1)*d], dv[int(doc)*d:])
	}
	value := func() (*autograd.Var, *autograd.Tape, *autograd.Var, *autograd.Var) {
		tp := autograd.NewTape(1)
		tp.SetTraining(true)
		q, dd := tp.Leaf(qt), tp.Leaf(dt)
		l := j.Loss(tp, q, dd, queries, docs, group)
		if l == nil {
			t.Fatal("no loss")
		}
		return l, tp, q, dd
	}
	l, tp, q, dd := value()
	if err := tp.Backward(l); err != nil {
		t.Fatal(err)
	}
	check := func(name string, x *tensor.Tensor, g []float32) {
		worst := 0.0
		for i := 0; i < len(x.Data); i += 3 {
			old := x.Data[i]
			const h = 1e-2
			x.Data[i] = old + h
			up, _, _, _ := value()
			x.Data[i] = old - h
			down, _, _, _ := value()
			x.Data[i] = old
			fd := (float64(up.Data()[0]) - float64(down.Data()[0])) / (2 * h)
			worst = math.Max(worst, math.Abs(fd-float64(g[i])))
		}
		t.Logf("%s: largest |finite difference − gradient| %.2e", name, worst)
		if worst > 2e-3 {
			t.Errorf("%s: gradient off by %.2e", name, worst)
		}
	}
	check("queries", qt, q.Grad)
	check("documents", dt, dd.Grad)
	nonzero := false
	for _, g := range q.Grad {
		nonzero = nonzero || g != 0
	}
	if !nonzero {
		t.Error("no gradient reaches the query vectors")
	}
	j.Lambda = 0
	if tp2 := autograd.NewTape(1); j.Loss(tp2, tp2.Leaf(qt), tp2.Leaf(dt), queries, docs, group) != nil {
		t.Error("λ_ad = 0 must add nothing")
	}
}
