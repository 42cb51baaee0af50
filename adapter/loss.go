package adapter

import (
	"fmt"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/tensor"
)

// LossConfig weighs the terms of the adapter loss
//
//	L = Σ_i w_i [BCE(p_rel,i, y_i) + μ·CE(o_i, k_i) + ν·(α̂_i − y_i)²] / Σ_i w_i + β·L_norm
//
// where w_i is pair i's class weight, k_i its outcome class and
// L_norm = mean_i ‖a_i − (α̂_i q_i + (1 − α̂_i) c_i)‖², with α̂_i the
// closed-form minimiser over α ∈ [0, 1] (see AlphaHat).
type LossConfig struct {
	Mu, Nu, Beta float64
}

// DefaultLoss is μ = 1, ν = 1, β = 0.1.
var DefaultLoss = LossConfig{Mu: 1, Nu: 1, Beta: 0.1}

// Batch is n (query, candidate) pairs with their labels, as tensors.
type Batch struct {
	Q, C   *tensor.Tensor // [n, d]
	Y      []float32      // 1 relevant, 0 not
	Class  []int32        // outcome class per pair
	Weight []float32      // class weight per pair
	Extra  *tensor.Tensor // [n, f] the pair features the adapter reads (RelFeature, LexFeature)
	// Tok and TokMask are the candidates' token states [n, 1, L, d] and
	// their additive mask [n, L] (adapter B only).
	Tok, TokMask *tensor.Tensor
}

// Loss returns the adapter loss on b and the forward outputs.
func (a *Adapter) Loss(tp *autograd.Tape, b *Batch, lc LossConfig) (*autograd.Var, Output) {
	n, d := b.Q.Shape.Dim(0), a.Cfg.Dim
	if b.Q.Shape != tensor.S(n, d) || b.C.Shape != b.Q.Shape || len(b.Y) != n || len(b.Class) != n || len(b.Weight) != n {
		return tp.Fail(fmt.Errorf("adapter: batch of %v and %v vectors, %d labels, %d classes, %d weights for dimension %d",
			b.Q.Shape, b.C.Shape, len(b.Y), len(b.Class), len(b.Weight), d)), Output{}
	}
	return a.lossOn(tp, tp.Const(b.Q), tp.Const(b.C), b, lc)
}

// lossOn is Loss with the query and candidate vectors given as variables
// (b's Q and C are unused): with variables that depend on an encoder, the
// loss's gradient reaches it. In α̂ and L_norm, u = q − c is taken as a
// constant (exact when q and c are).
func (a *Adapter) lossOn(tp *autograd.Tape, q, c *autograd.Var, b *Batch, lc LossConfig) (*autograd.Var, Output) {
	n := q.Value.Shape.Dim(0)
	var extra *autograd.Var
	if f := len(a.Cfg.extraCols()); f > 0 {
		if b.Extra == nil || b.Extra.Shape != tensor.S(n, f) {
			return tp.Fail(fmt.Errorf("adapter: the pair features need a [%d, %d] Extra", n, f)), Output{}
		}
		extra = tp.Const(b.Extra)
	}
	var out Output
	if a.Cfg.Token {
		if b.Tok == nil || b.TokMask == nil {
			return tp.Fail(fmt.Errorf("adapter: adapter B needs the batch's token states")), Output{}
		}
		out = a.ForwardTokens(tp, q, c, tp.Const(b.Tok), b.TokMask, extra)
	} else {
		out = a.Forward(tp, q, c, extra)
	}
	wsum := 0.0
	for _, w := range b.Weight {
		wsum += float64(w)
	}
	if wsum <= 0 {
		return tp.Fail(fmt.Errorf("adapter: batch weights sum to %g", wsum)), out
	}
	// Weighted BCE: BCEWithLogits averages w'_i·bce_i over n, so
	// w'_i = n·w_i/Σw gives Σ w_i bce_i / Σ w_i.
	y := tensor.New(tensor.S(n, 1))
	wb := tensor.New(tensor.S(n, 1))
	wn := tensor.New(tensor.S(n, 1)) // w_i / Σw
	for i := range b.Y {
		y.Data[i] = b.Y[i]
		wb.Data[i] = float32(float64(n) * float64(b.Weight[i]) / wsum)
		wn.Data[i] = float32(float64(b.Weight[i]) / wsum)
	}
	loss := tp.BCEWithLogits(out.Rel, y, wb)
	if lc.Mu != 0 {
		// Weighted cross-entropy: −Σ_i (w_i/Σw)·log softmax(o_i)[k_i].
		pick := tensor.New(tensor.S(n, numOutcomes))
		for i, k := range b.Class {
			pick.Data[i*numOutcomes+int(k)] = -wn.Data[i]
		}
		ce := tp.Sum(tp.Mul(tp.LogSoftmax(out.Outcome, nil), tp.Const(pick)))
		loss = tp.Add(loss, tp.Scale(ce, float32(lc.Mu)))
	}
	if out.Delta == nil || (lc.Nu == 0 && lc.Beta == 0) {
		return loss, out
	}
	alpha, p, uu := a.alphaHat(tp, out.Delta, q.Value.Data, c.Value.Data)
	if lc.Nu != 0 {
		diff := tp.Sub(alpha, tp.Const(y))
		loss = tp.Add(loss, tp.Scale(tp.Sum(tp.Mul(tp.Mul(diff, diff), tp.Const(wn))), float32(lc.Nu)))
	}
	if lc.Beta != 0 {
		loss = tp.Add(loss, tp.Scale(normLoss(tp, out.Delta, alpha, p, uu, a.Cfg.Dim), float32(lc.Beta)))
	}
	return loss, out
}

// alphaHat returns α̂ = clip(r·u/‖u‖², 0, 1) per pair, with r = a − c = Δ
// and u = q − c, as a [n, 1] variable, together with p = r·u and the
// constant ‖u‖². The clip is written x − ReLU(x − 1) + ReLU(−x), whose
// derivative is 1 at both ends (ReLU' is 0 at 0): the residual head
// starts at zero, where α̂ = 0 exactly, and with 1 − ReLU(1 − ReLU(x)) its
// gradient there would be 0, so it would never leave zero.
func (a *Adapter) alphaHat(tp *autograd.Tape, delta *autograd.Var, qd, cd []float32) (alpha, p *autograd.Var, uu *autograd.Var) {
	d := a.Cfg.Dim
	n := len(qd) / d
	u := tensor.New(tensor.S(n, d))
	inv := tensor.New(tensor.S(n, 1))
	uut := tensor.New(tensor.S(n, 1))
	ones := tensor.New(tensor.S(n, 1))
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < d; j++ {
			v := qd[i*d+j] - cd[i*d+j]
			u.Data[i*d+j] = v
			s += float64(v) * float64(v)
		}
		uut.Data[i] = float32(s)
		if s > 0 {
			inv.Data[i] = float32(1 / s)
		}
		ones.Data[i] = 1
	}
	p = rowSums(tp, tp.Mul(delta, tp.Const(u)), d)
	x := tp.Mul(p, tp.Const(inv))
	one := tp.Const(ones)
	alpha = tp.Add(tp.Sub(x, tp.ReLU(tp.Sub(x, one))), tp.ReLU(tp.Scale(x, -1)))
	return alpha, p, tp.Const(uut)
}

// normLoss is mean_i ‖r_i − α̂_i u_i‖² = mean_i (‖r_i‖² − 2α̂_i p_i + α̂_i²‖u_i‖²).
func normLoss(tp *autograd.Tape, delta, alpha, p, uu *autograd.Var, d int) *autograd.Var {
	rr := rowSums(tp, tp.Mul(delta, delta), d)
	v := tp.Add(tp.Sub(rr, tp.Scale(tp.Mul(alpha, p), 2)), tp.Mul(tp.Mul(alpha, alpha), uu))
	return tp.Mean(v)
}

// rowSums returns the [n, 1] sums of the rows of x [n, d].
func rowSums(tp *autograd.Tape, x *autograd.Var, d int) *autograd.Var {
	ones := tensor.New(tensor.S(d, 1))
	ones.Fill(1)
	return tp.MatMul(x, tp.Const(ones), false, false)
}

// AlphaHat returns clip(((a − c)·(q − c))/‖q − c‖², 0, 1), the α ∈ [0, 1]
// that puts α·q + (1 − α)·c nearest to a: the position of the adapted
// vector a along the segment from c to q. It is 0 when q = c.
func AlphaHat(q, c, a []float32) float64 {
	var num, den float64
	for i := range q {
		u := float64(q[i]) - float64(c[i])
		num += (float64(a[i]) - float64(c[i])) * u
		den += u * u
	}
	if den == 0 {
		return 0
	}
	return min(1, max(0, num/den))
}
