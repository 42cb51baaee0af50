package autograd

// Concat joins two to four tensors along their last dimension; all must have
// the same leading dimensions. (The adapter's input [q−c; q⊙c; q+c] is one.)
//
// Backward: each input's gradient is its block of columns of dy.
func (t *Tape) Concat(xs ...*Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	if len(xs) < 2 || len(xs) > 4 {
		return t.fail(opConcat, "%d inputs (want 2 to 4)", len(xs))
	}
	first := xs[0].Value.Shape
	cols := 0
	for _, x := range xs {
		s := x.Value.Shape
		if s.Rank() != first.Rank() || s.Rows() != first.Rows() || s.Rank() == 0 {
			return t.fail(opConcat, "%w: inputs %v and %v differ in their leading dimensions", ErrShape, first, s)
		}
		for i := 0; i < s.Rank()-1; i++ {
			if s.Dim(i) != first.Dim(i) {
				return t.fail(opConcat, "%w: inputs %v and %v differ in their leading dimensions", ErrShape, first, s)
			}
		}
		cols += s.Cols()
	}
	o := t.record(opConcat, first.WithDim(-1, cols), xs...)
	o.n[0] = cols
	rows := first.Rows()
	off := 0
	for _, x := range xs {
		c := x.Value.Shape.Cols()
		for r := 0; r < rows; r++ {
			copy(o.out.Value.Data[r*cols+off:r*cols+off+c], x.Value.Data[r*c:(r+1)*c])
		}
		off += c
	}
	return o.out
}

func concatBackward(t *Tape, o *op) {
	cols, dy := o.n[0], o.out.Grad
	off := 0
	for _, x := range o.in {
		if x == nil {
			break
		}
		c := x.Value.Shape.Cols()
		if x.needsGrad {
			dx := t.grad(x)
			for r := range x.Value.Shape.Rows() {
				src := dy[r*cols+off : r*cols+off+c]
				dst := dx[r*c : (r+1)*c]
				for j, v := range src {
					dst[j] += v
				}
			}
		}
		off += c
	}
}
