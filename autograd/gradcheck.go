package autograd

import (
	"fmt"
	"math"

	"github.com/rrra/rrra/tensor"
)

// GradCheck checks an operation (or any function built from operations)
// against a float64 reference of its forward: the forward values directly,
// and the gradients against central finite differences of the reference,
// which in float64 are accurate to about 1e-8 relative, far below float32
// rounding. The output is reduced to a scalar as Σ R ⊙ out with a fixed
// random R, so every output element's gradient path is exercised.
type GradCheck struct {
	Name   string
	Inputs []*tensor.Tensor
	// NoGrad marks inputs that get no gradient (constants); the others are
	// leaves whose gradients are checked.
	NoGrad []bool
	// Build applies the function under test to the inputs as Vars.
	Build func(t *Tape, in []*Var) *Var
	// Ref computes the same function in float64 from the inputs' values,
	// returning the output's values in row-major order.
	Ref func(in [][]float64) []float64
	// FwdTol and GradTol bound the errors relative to the largest reference
	// magnitude (of the output, or of each input's gradient), at least 1.
	// Zero means 1e-5 and 1e-4.
	FwdTol, GradTol float64
	Seed            uint64
}

// Run performs the check and returns an error describing the worst
// mismatch, if any.
func (c GradCheck) Run() error {
	fwdTol, gradTol := c.FwdTol, c.GradTol
	if fwdTol == 0 {
		fwdTol = 1e-5
	}
	if gradTol == 0 {
		gradTol = 1e-4
	}
	t := NewTape(c.Seed)
	vars := make([]*Var, len(c.Inputs))
	for i, x := range c.Inputs {
		if i < len(c.NoGrad) && c.NoGrad[i] {
			vars[i] = t.Const(x)
		} else {
			vars[i] = t.Leaf(x)
		}
	}
	out := c.Build(t, vars)
	if err := t.Err(); err != nil {
		return fmt.Errorf("%s: forward: %w", c.Name, err)
	}
	in64 := make([][]float64, len(c.Inputs))
	for i, x := range c.Inputs {
		in64[i] = make([]float64, len(x.Data))
		for j, v := range x.Data {
			in64[i][j] = float64(v)
		}
	}
	ref := c.Ref(in64)
	if len(ref) != len(out.Value.Data) {
		return fmt.Errorf("%s: reference has %d values, output %v has %d", c.Name, len(ref), out.Value.Shape, len(out.Value.Data))
	}
	if err := compare(c.Name+": forward", out.Value.Data, ref, fwdTol); err != nil {
		return err
	}
	rng := tensor.NewRNG(c.Seed ^ 0x5eed)
	r := make([]float32, len(ref))
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	if err := t.BackwardFrom(out, r); err != nil {
		return fmt.Errorf("%s: backward: %w", c.Name, err)
	}
	loss := func() float64 {
		y := c.Ref(in64)
		var s float64
		for i, v := range y {
			s += float64(r[i]) * v
		}
		return s
	}
	for i, v := range vars {
		if !v.needsGrad {
			continue
		}
		num := make([]float64, len(in64[i]))
		for j, x := range in64[i] {
			h := 1e-6 * max(1, math.Abs(x))
			in64[i][j] = x + h
			up := loss()
			in64[i][j] = x - h
			down := loss()
			in64[i][j] = x
			num[j] = (up - down) / (2 * h)
		}
		got := v.Grad
		if got == nil {
			got = make([]float32, len(num)) // no gradient reached it: all zero
		}
		if err := compare(fmt.Sprintf("%s: gradient of input %d %v", c.Name, i, v.Value.Shape), got, num, gradTol); err != nil {
			return err
		}
	}
	return nil
}

// compare fails if any |got − want| exceeds tol·max(1, max|want|).
func compare(what string, got []float32, want []float64, tol float64) error {
	scale := 1.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	worst, at := 0.0, -1
	for i, w := range want {
		d := math.Abs(float64(got[i]) - w)
		if math.IsNaN(d) {
			return fmt.Errorf("%s: element %d is %v, want %v", what, i, got[i], w)
		}
		if d > worst {
			worst, at = d, i
		}
	}
	if worst > tol*scale {
		return fmt.Errorf("%s: element %d is %v, want %v (error %.3g > %.3g = tolerance %g × scale %.3g)",
			what, at, got[at], want[at], worst, tol*scale, tol, scale)
	}
	return nil
}
