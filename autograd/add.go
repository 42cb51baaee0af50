package autograd

// Add returns a + b, where b has a's shape or is one row of a's last
// dimension, broadcast over a's rows (a bias).
//
// Backward: da = dy; db = dy, or, broadcast, the sum of dy over rows.
func (t *Tape) Add(a, b *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	o, ok := t.broadcastOp(opAdd, a, b)
	if !ok {
		return &t.dummy
	}
	row := o.n[0] == 1
	y, x, z := o.out.Value.Data, a.Value.Data, b.Value.Data
	if !row {
		t.vec(vecSum, y, x, z)
	} else {
		t.addRows(y, x, z)
	}
	return o.out
}

func addBackward(t *Tape, o *op) {
	a, b, dy := o.in[0], o.in[1], o.out.Grad
	if a.needsGrad {
		t.passGrad(o, a, dy)
	}
	if b.needsGrad {
		if o.n[0] == 1 {
			t.colSums(colTask{dst: t.grad(b), g: dy, cols: len(b.Value.Data)})
		} else {
			t.accumulate(b, dy)
		}
	}
}
