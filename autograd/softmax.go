package autograd

import (
	"math"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// Softmax returns, for each row of x (its last dimension), softmax(x + mask)
// with an optional additive mask (nil for none). The mask has x's last
// dimension and divides x's rows into equal groups, one mask row per group:
// a mask of x's shape applies row by row, a single row applies to all, and a
// [B, T] mask over a [B, H, T, T] x applies row b to the H·T rows of batch b
// (attention masks). Use a large negative value or −Inf to mask; a row
// masked entirely is NaN.
//
// Backward: y = softmax(z) has ∂y_i/∂z_j = y_i(δ_ij − y_j), so
// dx_j = y_j·(dy_j − Σ_i dy_i·y_i). The mask gets no gradient.
func (t *Tape) Softmax(x *Var, mask *tensor.Tensor) *Var {
	return t.softmax(opSoftmax, x, mask)
}

// LogSoftmax returns log(softmax(x + mask)) per row, computed stably as
// z − max(z) − log Σ exp(z − max(z)); mask as for Softmax.
//
// Backward: ∂y_i/∂z_j = δ_ij − softmax_j, so dx_j = dy_j − softmax_j·Σ_i dy_i,
// with softmax_j = exp(y_j).
func (t *Tape) LogSoftmax(x *Var, mask *tensor.Tensor) *Var {
	return t.softmax(opLogSoftmax, x, mask)
}

func (t *Tape) softmax(kind opKind, x *Var, mask *tensor.Tensor) *Var {
	if t.err != nil {
		return &t.dummy
	}
	xs := x.Value.Shape
	rows, cols := xs.Rows(), xs.Cols()
	group := 0
	if mask != nil {
		mr := mask.Shape.Rows()
		if mask.Shape.Cols() != cols || mr == 0 || rows%mr != 0 {
			return t.fail(kind, "%w: mask %v for input %v (want rows of width %d dividing the %d rows)", ErrShape, mask.Shape, xs, cols, rows)
		}
		group = rows / mr
	}
	o := t.record(kind, xs, x)
	if mask != nil {
		o.cst = t.arena.alloc(len(mask.Data))
		copy(o.cst, mask.Data)
	}
	o.n[0], o.n[1] = cols, group
	o.phase = 0
	kernels.Parallel(rows, rowGrain(cols), o)
	return o.out
}

// rowGrain is the fewest rows of the given width worth a goroutine.
func rowGrain(cols int) int { return max(1, elemGrain/max(cols, 1)) }

func softmaxRun(o *op, lo, hi int) {
	cols, group := o.n[0], o.n[1]
	log := o.kind == opLogSoftmax
	for r := lo; r < hi; r++ {
		y := o.out.Value.Data[r*cols : (r+1)*cols]
		if o.phase == 1 {
			dy, dx := o.out.Grad[r*cols:(r+1)*cols], o.in[0].Grad[r*cols:(r+1)*cols]
			softmaxRowBackward(log, y, dy, dx)
			continue
		}
		x := o.in[0].Value.Data[r*cols : (r+1)*cols]
		var m []float32
		if group > 0 {
			mr := r / group
			m = o.cst[mr*cols : (mr+1)*cols]
		}
		softmaxRow(log, x, m, y)
	}
}

// softmaxRow writes softmax(x + m) (or its log) into y; m may be nil.
// The softmax itself runs in kernels.SoftmaxRow (SIMD exponentials); the
// log form, used by the losses on short rows, is computed here in float64.
func softmaxRow(log bool, x, m, y []float32) {
	if !log {
		kernels.SoftmaxRow(y, x, m)
		return
	}
	mx := math.Inf(-1)
	for j, v := range x {
		z := float64(v)
		if m != nil {
			z += float64(m[j])
		}
		mx = max(mx, z)
	}
	var s float64
	for j, v := range x {
		z := float64(v)
		if m != nil {
			z += float64(m[j])
		}
		e := math.Exp(z - mx)
		s += e
		if !log {
			y[j] = float32(e)
		} else {
			y[j] = float32(z - mx)
		}
	}
	if log {
		ls := float32(math.Log(s))
		for j := range y {
			y[j] -= ls
		}
		return
	}
	inv := float32(1 / s)
	for j := range y {
		y[j] *= inv
	}
}

func softmaxRowBackward(log bool, y, dy, dx []float32) {
	var s float64
	if log {
		for _, g := range dy {
			s += float64(g)
		}
		sf := float32(s)
		for j, g := range dy {
			dx[j] += g - float32(math.Exp(float64(y[j])))*sf
		}
		return
	}
	for j, g := range dy {
		s += float64(g) * float64(y[j])
	}
	sf := float32(s)
	for j, g := range dy {
		dx[j] += y[j] * (g - sf)
	}
}

func softmaxBackward(t *Tape, o *op) {
	if !o.in[0].needsGrad {
		return
	}
	t.grad(o.in[0])
	o.phase = 1
	kernels.Parallel(o.out.Value.Shape.Rows(), rowGrain(o.n[0]), o)
}

func logSoftmaxBackward(t *Tape, o *op) { softmaxBackward(t, o) }
