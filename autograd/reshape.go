package autograd

import "github.com/rrra/rrra/tensor"

// Reshape returns x viewed with shape s (same element count); the result
// shares x's values.
//
// Backward: dx = dy, element for element.
func (t *Tape) Reshape(x *Var, s tensor.Shape) *Var {
	if t.err != nil {
		return &t.dummy
	}
	if s.Numel() != len(x.Value.Data) {
		return t.fail(opReshape, "%w: cannot view %v as %v", ErrShape, x.Value.Shape, s)
	}
	o := t.record(opReshape, tensor.S(), x)
	o.out.Value = tensor.Tensor{Shape: s, Data: x.Value.Data}
	return o.out
}

func reshapeBackward(t *Tape, o *op) {
	if x := o.in[0]; x.needsGrad {
		t.passGrad(o, x, o.out.Grad)
	}
}

// SplitHeads turns x [B, T, H·D] into [B, H, T, D]: head h of token t is
// columns h·D..h·D+D−1 of row (b, t).
//
// Backward: the inverse permutation, dx[b, t, h·D+d] = dy[b, h, t, d].
func (t *Tape) SplitHeads(x *Var, heads int) *Var {
	if t.err != nil {
		return &t.dummy
	}
	xs := x.Value.Shape
	if xs.Rank() != 3 || heads <= 0 || xs.Dim(2)%heads != 0 {
		return t.fail(opSplitHeads, "%w: input %v into %d heads (want [B, T, H·D])", ErrShape, xs, heads)
	}
	b, tt, d := xs.Dim(0), xs.Dim(1), xs.Dim(2)/heads
	o := t.record(opSplitHeads, tensor.S(b, heads, tt, d), x)
	o.n = [6]int{b, heads, tt, d}
	permuteHeads(x.Value.Data, o.out.Value.Data, b, heads, tt, d, true, false)
	return o.out
}

func splitHeadsBackward(t *Tape, o *op) {
	if x := o.in[0]; x.needsGrad {
		dx, beta := t.gradBeta(x) // every element is written: a fresh buffer is copied into
		permuteHeads(dx, o.out.Grad, o.n[0], o.n[1], o.n[2], o.n[3], false, beta == 1)
	}
}

// MergeHeads turns x [B, H, T, D] into [B, T, H·D], the inverse of
// SplitHeads.
//
// Backward: dx[b, h, t, d] = dy[b, t, h·D+d].
func (t *Tape) MergeHeads(x *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	xs := x.Value.Shape
	if xs.Rank() != 4 {
		return t.fail(opMergeHeads, "%w: input %v (want [B, H, T, D])", ErrShape, xs)
	}
	b, h, tt, d := xs.Dim(0), xs.Dim(1), xs.Dim(2), xs.Dim(3)
	o := t.record(opMergeHeads, tensor.S(b, tt, h*d), x)
	o.n = [6]int{b, h, tt, d}
	permuteHeads(o.out.Value.Data, x.Value.Data, b, h, tt, d, false, false)
	return o.out
}

func mergeHeadsBackward(t *Tape, o *op) {
	if x := o.in[0]; x.needsGrad {
		dx, beta := t.gradBeta(x)
		permuteHeads(o.out.Grad, dx, o.n[0], o.n[1], o.n[2], o.n[3], true, beta == 1)
	}
}

// permuteHeads moves rows of D values between the layouts [B, T, H·D]
// (merged) and [B, H, T, D] (split). toSplit copies merged → split, else
// split → merged; accumulate adds instead of copying.
func permuteHeads(merged, split []float32, b, h, tt, d int, toSplit, accumulate bool) {
	for bi := 0; bi < b; bi++ {
		for ti := 0; ti < tt; ti++ {
			for hi := 0; hi < h; hi++ {
				m := merged[((bi*tt+ti)*h+hi)*d : ((bi*tt+ti)*h+hi+1)*d]
				s := split[((bi*h+hi)*tt+ti)*d : ((bi*h+hi)*tt+ti+1)*d]
				src, dst := s, m
				if toSplit {
					src, dst = m, s
				}
				if accumulate {
					for j, v := range src {
						dst[j] += v
					}
				} else {
					copy(dst, src)
				}
			}
		}
	}
}
