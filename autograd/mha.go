package autograd

import (
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// MultiHeadAttention is Attention on inputs laid out as a transformer makes
// them: q [B, Tq, H·D], k and v [B, Tk, H·D], head h being columns
// h·D..h·D+D−1; the result is [B, Tq, H·D] in the same layout. It equals
// MergeHeads(Attention(SplitHeads(q), SplitHeads(k), SplitHeads(v), mask,
// scale)) without the copies: each head's matrices are read and written in
// place through strides (kernels.SgemmBatched2D over batch elements and
// heads, rows H·D apart, heads D apart). mask is nil or an additive [B, Tk]
// key mask. In training mode, dropout > 0 zeroes attention probabilities
// with that probability (scaling the rest by 1/(1−dropout)), as BERT's
// attention_probs_dropout_prob, drawing from the tape's generator.
//
// Backward as Attention's, through the dropout mask M when there is one
// (P̃ = P ⊙ M): dV = P̃ᵀ·dO, dP = (dO·Vᵀ) ⊙ M, dS = P ⊙ (dP − rowsum(dP ⊙ P)),
// dQ = scale·dS·K, dK = scale·dSᵀ·Q, per batch element and head.
func (t *Tape) MultiHeadAttention(q, k, v *Var, heads int, mask *tensor.Tensor, scale, dropout float32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	qs, ks, vs := q.Value.Shape, k.Value.Shape, v.Value.Shape
	if qs.Rank() != 3 || ks.Rank() != 3 || ks != vs || qs.Dim(0) != ks.Dim(0) || qs.Dim(2) != ks.Dim(2) ||
		heads <= 0 || qs.Dim(2)%heads != 0 {
		return t.fail(opMultiHeadAttention, "%w: q %v, k %v, v %v with %d heads (want [B, Tq, H·D] and two [B, Tk, H·D])", ErrShape, qs, ks, vs, heads)
	}
	c := qs.Dim(2)
	return t.mha(q, k, v, [3]int{0, 0, 0}, c, c, heads, mask, scale, dropout)
}

// MultiHeadAttentionPacked is MultiHeadAttention of self-attention whose
// queries, keys and values come from one fused projection: qkv is
// [B, T, 3·H·D], columns 0..C−1 the queries, C..2C−1 the keys and 2C..3C−1
// the values (C = H·D), as a Linear with the three weight matrices stacked
// produces them. The gradient flows back into qkv's three column blocks.
func (t *Tape) MultiHeadAttentionPacked(qkv *Var, heads int, mask *tensor.Tensor, scale, dropout float32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	s := qkv.Value.Shape
	if s.Rank() != 3 || s.Dim(2)%3 != 0 || heads <= 0 || (s.Dim(2)/3)%heads != 0 {
		return t.fail(opMultiHeadAttention, "%w: packed qkv %v with %d heads (want [B, T, 3·H·D])", ErrShape, s, heads)
	}
	c := s.Dim(2) / 3
	return t.mha(qkv, qkv, qkv, [3]int{0, c, 2 * c}, 3*c, c, heads, mask, scale, dropout)
}

// mha records attention over q, k and v whose rows are ld apart, head h of
// q starting at column off[0]+h·D (k: off[1], v: off[2]); the result is
// [B, Tq, C].
func (t *Tape) mha(q, k, v *Var, off [3]int, ld, c, heads int, mask *tensor.Tensor, scale, dropout float32) *Var {
	qs, ks := q.Value.Shape, k.Value.Shape
	if dropout < 0 || dropout >= 1 {
		return t.fail(opMultiHeadAttention, "dropout probability %v is outside [0, 1)", dropout)
	}
	b, tq, tk := qs.Dim(0), qs.Dim(1), ks.Dim(1)
	d := c / heads
	if mask != nil && (mask.Shape.Rank() != 2 || mask.Shape.Dim(0) != b || mask.Shape.Dim(1) != tk) {
		return t.fail(opMultiHeadAttention, "%w: mask %v for keys [%d %d]", ErrShape, mask.Shape, b, tk)
	}
	o := t.record(opMultiHeadAttention, tensor.S(b, tq, c), q, k, v)
	o.n = [6]int{b, heads, tq, tk, d, ld}
	o.off = off
	o.f[0] = scale
	if mask != nil {
		o.cst = t.arena.alloc(len(mask.Data))
		copy(o.cst, mask.Data)
	}
	p := t.arena.alloc(b * heads * tq * tk)
	o.buf[0] = p
	hp := tq * tk // one head's probabilities
	kernels.SgemmBatched2D(false, true, b, heads, tq, tk, d, scale, q.Value.Data[off[0]:], ld, tq*ld, d,
		k.Value.Data[off[1]:], ld, tk*ld, d, 0, p, tk, heads*hp, hp)
	o.phase = 0
	kernels.Parallel(b*heads*tq, rowGrain(tk), o)
	pv := p // the probabilities that multiply V
	if t.train && dropout > 0 {
		// M (buf[2]) holds 0 or 1/(1−dropout); P̃ = P ⊙ M is computed into
		// the space that backward later uses for dP (buf[1]).
		m, pd := t.arena.alloc(len(p)), t.arena.alloc(len(p))
		keep := 1 / (1 - dropout)
		for i, x := range p {
			if t.rng.Float32() < dropout {
				m[i], pd[i] = 0, 0
			} else {
				m[i], pd[i] = keep, x*keep
			}
		}
		o.buf[1], o.buf[2], pv = pd, m, pd
	}
	kernels.SgemmBatched2D(false, false, b, heads, tq, d, tk, 1, pv, tk, heads*hp, hp,
		v.Value.Data[off[2]:], ld, tk*ld, d, 0, o.out.Value.Data, c, tq*c, d)
	return o.out
}

func multiHeadAttentionBackward(t *Tape, o *op) {
	q, k, v := o.in[0], o.in[1], o.in[2]
	b, h, tq, tk, d, ld := o.n[0], o.n[1], o.n[2], o.n[3], o.n[4], o.n[5]
	c, hp, scale, off := h*d, tq*tk, o.f[0], o.off
	p, dO := o.buf[0], o.out.Grad
	pv, m := p, o.buf[2] // with dropout, V was multiplied by P̃ (buf[1]) and M is buf[2]
	if m != nil {
		pv = o.buf[1]
	}
	// For packed inputs q, k and v are one Var: its gradient buffer is
	// taken once, and the three GEMMs below write its three column blocks
	// (each element once, so beta 0 on a fresh buffer is right for all).
	packed := q == k
	var dQ, dK, dV []float32
	var bq, bk, bv float32
	if packed {
		g, beta := t.gradBeta(q)
		dQ, dK, dV, bq, bk, bv = g, g, g, beta, beta, beta
	} else {
		if q.needsGrad {
			dQ, bq = t.gradBeta(q)
		}
		if k.needsGrad {
			dK, bk = t.gradBeta(k)
		}
		if v.needsGrad {
			dV, bv = t.gradBeta(v)
		}
	}
	if dV != nil {
		kernels.SgemmBatched2D(true, false, b, h, tk, d, tq, 1, pv, tk, h*hp, hp,
			dO, c, tq*c, d, bv, dV[off[2]:], ld, tk*ld, d)
	}
	dP := t.arena.alloc(b * h * hp)
	o.buf[1] = dP
	kernels.SgemmBatched2D(false, true, b, h, tq, tk, d, 1, dO, c, tq*c, d,
		v.Value.Data[off[2]:], ld, tk*ld, d, 0, dP, tk, h*hp, hp)
	for i, x := range m {
		dP[i] *= x
	}
	o.phase = 1
	kernels.Parallel(b*h*tq, rowGrain(tk), o)
	if dQ != nil {
		kernels.SgemmBatched2D(false, false, b, h, tq, d, tk, scale, dP, tk, h*hp, hp,
			k.Value.Data[off[1]:], ld, tk*ld, d, bq, dQ[off[0]:], ld, tq*ld, d)
	}
	if dK != nil {
		kernels.SgemmBatched2D(true, false, b, h, tk, d, tq, scale, dP, tk, h*hp, hp,
			q.Value.Data[off[0]:], ld, tq*ld, d, bk, dK[off[1]:], ld, tk*ld, d)
	}
}
