package autograd

import (
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// MatMul returns op(a)·op(b), op(x) being x or xᵀ as transA and transB say.
// b must be 2-D. Without transA, a may have any rank ≥ 1 and is taken as a
// Rows()×Cols() matrix, and the result keeps a's leading dimensions (a
// [B, T, C] times a [C, N] weight gives [B, T, N]); with transA a must be
// 2-D.
//
// Backward, for C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC; the transposed cases follow
// by transposing both sides (e.g. for C = A·Bᵀ, dB = dCᵀ·A). Each is one
// Sgemm accumulating into the gradient (beta = 1).
func (t *Tape) MatMul(a, b *Var, transA, transB bool) *Var {
	if t.err != nil {
		return &t.dummy
	}
	as, bs := a.Value.Shape, b.Value.Shape
	if bs.Rank() != 2 || as.Rank() == 0 || (transA && as.Rank() != 2) {
		return t.fail(opMatMul, "%w: operands %v and %v (b must be 2-D, and a too when transposed)", ErrShape, as, bs)
	}
	m, k := as.Rows(), as.Cols()
	if transA {
		m, k = as.Dim(1), as.Dim(0)
	}
	kb, n := bs.Dim(0), bs.Dim(1)
	if transB {
		kb, n = n, kb
	}
	if kb != k {
		return t.fail(opMatMul, "%w: inner dimensions differ: %v (transposed %v) and %v (transposed %v)", ErrShape, as, transA, bs, transB)
	}
	out := tensor.S(m, n)
	if !transA && as.Rank() == 1 {
		out = tensor.S(n)
	}
	if !transA && as.Rank() > 2 {
		out = as.WithDim(-1, n)
	}
	o := t.record(opMatMul, out, a, b)
	o.n = [6]int{m, n, k, b2i(transA), b2i(transB)}
	t.gemm(transA, transB, m, n, k, 1, a.Value.Data, ld(transA, m, k), b.Value.Data, ld(transB, k, n), 0, o.out.Value.Data, n)
	return o.out
}

// ld returns the stored row length of op(X) = rows×cols: cols, or rows when
// X is stored transposed.
func ld(trans bool, rows, cols int) int {
	if trans {
		return rows
	}
	return cols
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func matMulBackward(t *Tape, o *op) {
	a, b, dC := o.in[0], o.in[1], o.out.Grad
	m, n, k, tA, tB := o.n[0], o.n[1], o.n[2], o.n[3] == 1, o.n[4] == 1
	A, B := a.Value.Data, b.Value.Data
	if a.needsGrad {
		dA, beta := t.gradBeta(a)
		switch {
		case !tA && !tB:
			t.gemm(false, true, m, k, n, 1, dC, n, B, n, beta, dA, k)
		case !tA && tB:
			t.gemm(false, false, m, k, n, 1, dC, n, B, k, beta, dA, k)
		case tA && !tB:
			t.gemm(false, true, k, m, n, 1, B, n, dC, n, beta, dA, m)
		default:
			t.gemm(true, true, k, m, n, 1, B, k, dC, n, beta, dA, m)
		}
	}
	if b.needsGrad {
		dB, beta := t.gradBeta(b)
		switch {
		case !tB && !tA:
			t.gemm(true, false, k, n, m, 1, A, k, dC, n, beta, dB, n)
		case !tB && tA:
			t.gemm(false, false, k, n, m, 1, A, m, dC, n, beta, dB, n)
		case tB && !tA:
			t.gemm(true, false, n, k, m, 1, dC, n, A, k, beta, dB, k)
		default:
			t.gemm(true, true, n, k, m, 1, dC, n, A, m, beta, dB, k)
		}
	}
}

// BatchedMatMul returns the products op(a_s)·op(b_s) for every s over the
// leading dimensions: a is [..., m, k] (or [..., k, m] with transA), b is
// [..., k, n] (or [..., n, k]), both of rank 3 or 4 with the same leading
// dimensions; the result is [..., m, n]. Backward as MatMul's, per product,
// with SgemmBatched.
func (t *Tape) BatchedMatMul(a, b *Var, transA, transB bool) *Var {
	if t.err != nil {
		return &t.dummy
	}
	as, bs := a.Value.Shape, b.Value.Shape
	r := as.Rank()
	if r < 3 || bs.Rank() != r {
		return t.fail(opBatchedMatMul, "%w: operands %v and %v (want equal ranks 3 or 4)", ErrShape, as, bs)
	}
	for i := 0; i < r-2; i++ {
		if as.Dim(i) != bs.Dim(i) {
			return t.fail(opBatchedMatMul, "%w: batch dimensions of %v and %v differ", ErrShape, as, bs)
		}
	}
	m, k := as.Dim(-2), as.Dim(-1)
	if transA {
		m, k = k, m
	}
	kb, n := bs.Dim(-2), bs.Dim(-1)
	if transB {
		kb, n = n, kb
	}
	if kb != k {
		return t.fail(opBatchedMatMul, "%w: inner dimensions differ: %v (transposed %v) and %v (transposed %v)", ErrShape, as, transA, bs, transB)
	}
	o := t.record(opBatchedMatMul, as.WithDim(-2, m).WithDim(-1, n), a, b)
	batch := 1
	for i := 0; i < r-2; i++ {
		batch *= as.Dim(i)
	}
	o.n = [6]int{m, n, k, b2i(transA), b2i(transB), batch}
	kernels.SgemmBatched(transA, transB, batch, m, n, k, 1, a.Value.Data, ld(transA, m, k), m*k,
		b.Value.Data, ld(transB, k, n), k*n, 0, o.out.Value.Data, n, m*n)
	return o.out
}

func batchedMatMulBackward(t *Tape, o *op) {
	a, b, dC := o.in[0], o.in[1], o.out.Grad
	m, n, k, tA, tB, batch := o.n[0], o.n[1], o.n[2], o.n[3] == 1, o.n[4] == 1, o.n[5]
	A, B := a.Value.Data, b.Value.Data
	sa, sb, sc := m*k, k*n, m*n
	if a.needsGrad {
		dA, beta := t.gradBeta(a)
		switch {
		case !tA && !tB:
			kernels.SgemmBatched(false, true, batch, m, k, n, 1, dC, n, sc, B, n, sb, beta, dA, k, sa)
		case !tA && tB:
			kernels.SgemmBatched(false, false, batch, m, k, n, 1, dC, n, sc, B, k, sb, beta, dA, k, sa)
		case tA && !tB:
			kernels.SgemmBatched(false, true, batch, k, m, n, 1, B, n, sb, dC, n, sc, beta, dA, m, sa)
		default:
			kernels.SgemmBatched(true, true, batch, k, m, n, 1, B, k, sb, dC, n, sc, beta, dA, m, sa)
		}
	}
	if b.needsGrad {
		dB, beta := t.gradBeta(b)
		switch {
		case !tB && !tA:
			kernels.SgemmBatched(true, false, batch, k, n, m, 1, A, k, sa, dC, n, sc, beta, dB, n, sb)
		case !tB && tA:
			kernels.SgemmBatched(false, false, batch, k, n, m, 1, A, m, sa, dC, n, sc, beta, dB, n, sb)
		case tB && !tA:
			kernels.SgemmBatched(true, false, batch, n, k, m, 1, dC, n, sc, A, k, sa, beta, dB, k, sb)
		default:
			kernels.SgemmBatched(true, true, batch, n, k, m, 1, dC, n, sc, A, m, sa, beta, dB, k, sb)
		}
	}
}
