package autograd

import (
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// Packed sequences: a batch of sequences of different lengths laid end to
// end as the rows of one matrix, without padding. offsets has one entry
// per sequence and a last one: sequence s is rows offsets[s] to
// offsets[s+1]−1, offsets[0] is 0 and the last entry is the number of rows.
// Work on padding is avoided entirely: row-wise layers (Linear, LayerNorm,
// GELU) see only real tokens, and attention runs per sequence at its own
// length.

// checkOffsets reports whether offsets describe n rows as non-empty
// sequences.
func checkOffsets(offsets []int, n int) bool {
	if len(offsets) < 2 || offsets[0] != 0 || offsets[len(offsets)-1] != n {
		return false
	}
	for s := 1; s < len(offsets); s++ {
		if offsets[s] <= offsets[s-1] {
			return false
		}
	}
	return true
}

// MultiHeadAttentionVarLen is MultiHeadAttentionPacked over packed
// sequences: qkv is [N, 3·H·D] (queries, keys and values in its three
// column blocks, as a fused projection makes them), offsets as described
// above, and each sequence attends to its own tokens only, so no mask is
// needed and no probability is computed for a padding key. The result is
// [N, H·D]. It equals MultiHeadAttentionPacked on the same sequences
// padded to a common length with their padding masked, row for row on the
// real tokens (the products are the same sums; only the blocking of the
// matrix products may differ). Dropout as MultiHeadAttention's.
//
// Backward per sequence as MultiHeadAttention's. Under SetBF16 the
// products whose left operand is read by rows (S = Q·Kᵀ, P·V, dO·Vᵀ, dS·K)
// round their operands to bfloat16 (kernels.SgemmBF16Serial); the two
// whose left operand is transposed (dV = P̃ᵀ·dO, dK = dSᵀ·Q) stay float32:
// with a head's 32 or 64 columns they would spend longer transposing
// their operand for the bfloat16 kernels than multiplying it.
func (t *Tape) MultiHeadAttentionVarLen(qkv *Var, offsets []int, heads int, scale, dropout float32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	s := qkv.Value.Shape
	if s.Rank() != 2 || s.Dim(1)%3 != 0 || heads <= 0 || (s.Dim(1)/3)%heads != 0 {
		return t.fail(opAttentionVarLen, "%w: packed qkv %v with %d heads (want [N, 3·H·D])", ErrShape, s, heads)
	}
	if !checkOffsets(offsets, s.Dim(0)) {
		return t.fail(opAttentionVarLen, "%w: offsets %v do not split %d rows into non-empty sequences", ErrShape, short(offsets), s.Dim(0))
	}
	if dropout < 0 || dropout >= 1 {
		return t.fail(opAttentionVarLen, "dropout probability %v is outside [0, 1)", dropout)
	}
	c := s.Dim(1) / 3
	o := t.record(opAttentionVarLen, tensor.S(s.Dim(0), c), qkv)
	o.ids = t.ints.copyOf(int32s(t, offsets))
	o.n = [6]int{len(offsets) - 1, heads, c / heads, 3 * c}
	if t.bf16 {
		o.n[4] = 1
	}
	o.f[0] = scale
	// Each (sequence, head) is one task: S = scale·Q·Kᵀ, its rows'
	// softmax, then P·V, one after the other while P is in cache. With
	// gradients recorded every P is kept for backward (H·Σ L² values);
	// without, each task works in a scratch of the longest sequence's L²
	// that is reused, so attention needs almost no memory (unless dropout
	// is on: Checkpoint runs blocks without gradients in training mode).
	maxL, np := 0, 0
	for i := 1; i < len(offsets); i++ {
		l := offsets[i] - offsets[i-1]
		maxL, np = max(maxL, l), np+heads*l*l
	}
	if t.noGrad && !(t.train && dropout > 0) {
		t.attnScratch.size = maxL * maxL
	} else {
		o.buf[0] = t.arena.alloc(np)
		if t.train && dropout > 0 {
			// The mask (buf[2]) holds 0 or 1/(1−dropout), drawn in order
			// before any task runs, so it does not depend on the thread
			// count; P̃ = P ⊙ M goes to buf[1].
			m := t.arena.alloc(np)
			keep := 1 / (1 - dropout)
			for i := range m {
				m[i] = keep
				if t.rng.Float32() < dropout {
					m[i] = 0
				}
			}
			o.buf[1], o.buf[2] = t.arena.alloc(np), m
		}
	}
	o.phase = 0
	o.scratch = &t.attnScratch
	kernels.Parallel(heads*(len(offsets)-1), 1, o)
	return o.out
}

// int32s converts offsets for the tape's integer arena.
func int32s(t *Tape, offsets []int) []int32 {
	t.offs = t.offs[:0]
	for _, v := range offsets {
		t.offs = append(t.offs, int32(v))
	}
	return t.offs
}

// short abbreviates a long offsets list for an error message.
func short(offsets []int) []int {
	if len(offsets) > 8 {
		return offsets[:8]
	}
	return offsets
}

// attentionVarLenRun runs tasks [lo, hi) of the forward (phase 0) or
// backward (phase 1) pass. Task i is head i/B of sequence i%B (B
// sequences): heads outer, so that contiguous chunks of tasks share the
// long and the short sequences of a length-sorted batch evenly.
func attentionVarLenRun(o *op, lo, hi int) {
	offs, b, h, d, ld := o.ids, o.n[0], o.n[1], o.n[2], o.n[3]
	c, scale := h*d, o.f[0]
	x := o.in[0].Value.Data
	// Without gradients each goroutine works in its own scratch.
	var scratch []float32
	if o.buf[0] == nil {
		scratch = o.scratch.get()
		defer o.scratch.put(scratch)
	}
	gemm := kernels.SgemmSerial
	if o.n[4] == 1 {
		gemm = kernels.SgemmBF16Serial
	}
	for i := lo; i < hi; i++ {
		s, hd := i%b, i/b
		r, l := int(offs[s]), int(offs[s+1]-offs[s])
		var p, pv, m []float32
		if scratch != nil {
			p = scratch[:l*l]
			pv = p
		} else {
			at := h*probStart(offs, s) + hd*l*l
			p = o.buf[0][at : at+l*l]
			pv = p
			if o.buf[2] != nil {
				pv, m = o.buf[1][at:at+l*l], o.buf[2][at:at+l*l]
			}
		}
		q, k, v := x[r*ld+hd*d:], x[r*ld+c+hd*d:], x[r*ld+2*c+hd*d:]
		if o.phase == 0 {
			gemm(false, true, l, l, d, scale, q, ld, k, ld, 0, p, l)
			for j := 0; j < l; j++ {
				row := p[j*l : (j+1)*l]
				kernels.SoftmaxRow(row, row, nil)
			}
			for j, mj := range m {
				pv[j] = p[j] * mj
			}
			gemm(false, false, l, d, l, 1, pv, l, v, ld, 0, o.out.Value.Data[r*c+hd*d:], c)
			continue
		}
		// Backward, as MultiHeadAttention's: dV = P̃ᵀ·dO, dP = (dO·Vᵀ) ⊙ M,
		// dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
		g, beta := o.in[0].Grad, o.f[1]
		dO := o.out.Grad[r*c+hd*d:]
		at := h*probStart(offs, s) + hd*l*l
		dp := o.buf[3][at : at+l*l]
		kernels.SgemmSerial(true, false, l, d, l, 1, pv, l, dO, c, beta, g[r*ld+2*c+hd*d:], ld)
		gemm(false, true, l, l, d, 1, dO, c, v, ld, 0, dp, l)
		for j, mj := range m {
			dp[j] *= mj
		}
		for j := 0; j < l; j++ {
			softmaxGradInPlace(p[j*l:(j+1)*l], dp[j*l:(j+1)*l])
		}
		gemm(false, false, l, d, l, scale, dp, l, k, ld, beta, g[r*ld+hd*d:], ld)
		kernels.SgemmSerial(true, false, l, d, l, scale, dp, l, q, ld, beta, g[r*ld+c+hd*d:], ld)
	}
}

// probStart returns Σ L² over the sequences before s.
func probStart(offs []int32, s int) int {
	n := 0
	for i := 0; i < s; i++ {
		l := int(offs[i+1] - offs[i])
		n += l * l
	}
	return n
}

func attentionVarLenBackward(t *Tape, o *op) {
	qkv := o.in[0]
	if !qkv.needsGrad {
		return
	}
	// One gradient buffer for the three column blocks; each task writes
	// its head's columns of its sequence's rows, each element once (beta 0
	// on a fresh buffer) or adding (beta 1).
	_, beta := t.gradBeta(qkv)
	o.f[1] = beta
	o.buf[3] = t.arena.alloc(len(o.buf[0])) // dP
	o.phase = 1
	kernels.Parallel(o.n[1]*o.n[0], 1, o)
}

// MeanPoolPacked averages the rows of each packed sequence of x [N, C]
// (offsets as above), giving [B, C]: MeanPool of the same sequences padded
// and masked.
//
// Backward: each row of sequence s gets dy[s] / L_s.
func (t *Tape) MeanPoolPacked(x *Var, offsets []int) *Var {
	return t.segmentPool(opMeanPoolPacked, x, offsets)
}

// CLSPoolPacked returns the first row of each packed sequence of x [N, C],
// giving [B, C]: CLSPool of the same sequences padded.
//
// Backward: the first row of sequence s gets dy[s]; other rows nothing.
func (t *Tape) CLSPoolPacked(x *Var, offsets []int) *Var {
	return t.segmentPool(opCLSPoolPacked, x, offsets)
}

func (t *Tape) segmentPool(kind opKind, x *Var, offsets []int) *Var {
	if t.err != nil {
		return &t.dummy
	}
	xs := x.Value.Shape
	if xs.Rank() != 2 {
		return t.fail(kind, "%w: input %v (want packed rows [N, C])", ErrShape, xs)
	}
	if !checkOffsets(offsets, xs.Dim(0)) {
		return t.fail(kind, "%w: offsets %v do not split %d rows into non-empty sequences", ErrShape, short(offsets), xs.Dim(0))
	}
	b, c := len(offsets)-1, xs.Dim(1)
	o := t.record(kind, tensor.S(b, c), x)
	o.ids = t.ints.copyOf(int32s(t, offsets))
	o.n[0] = c
	y, xd := o.out.Value.Data, x.Value.Data
	for s := 0; s < b; s++ {
		r0, r1 := offsets[s], offsets[s+1]
		yr := y[s*c : (s+1)*c]
		if kind == opCLSPoolPacked {
			copy(yr, xd[r0*c:r0*c+c])
			continue
		}
		clear(yr)
		w := 1 / float32(r1-r0)
		for r := r0; r < r1; r++ {
			for j, v := range xd[r*c : (r+1)*c] {
				yr[j] += w * v
			}
		}
	}
	return o.out
}

func segmentPoolBackward(t *Tape, o *op) {
	x := o.in[0]
	if !x.needsGrad {
		return
	}
	c, offs := o.n[0], o.ids
	dx, dy := t.grad(x), o.out.Grad
	for s := 0; s+1 < len(offs); s++ {
		r0, r1 := int(offs[s]), int(offs[s+1])
		gr := dy[s*c : (s+1)*c]
		if o.kind == opCLSPoolPacked {
			r1 = r0 + 1
		}
		w := float32(1)
		if o.kind == opMeanPoolPacked {
			w = 1 / float32(r1-r0)
		}
		for r := r0; r < r1; r++ {
			dr := dx[r*c : (r+1)*c]
			for j, g := range gr {
				dr[j] += w * g
			}
		}
	}
}
