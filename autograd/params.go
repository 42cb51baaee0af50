package autograd

import (
	"fmt"
	"math"
	"slices"

	"github.com/rrra/rrra/tensor"
)

// Params is a set of named parameters whose values live in one flat buffer
// and whose gradients live in another of the same layout: parameter i
// occupies [Offset(i), Offset(i)+size) of both. An optimizer keeps its
// moments in buffers of the same layout and updates everything in one loop.
type Params struct {
	names []string
	vars  []*Var
	offs  []int
	index map[string]int
	data  []float32
	grad  []float32
}

// NewParams returns an empty set.
func NewParams() *Params { return &Params{index: map[string]int{}} }

// Add creates a zero-valued parameter of shape s. Names must be unique. The
// returned Var stays valid as more parameters are added (when the flat
// buffers run out of room they are reallocated, doubling, and every view is
// moved, values kept; see Reserve).
func (p *Params) Add(name string, s tensor.Shape) (*Var, error) {
	if name == "" {
		return nil, fmt.Errorf("autograd: Params.Add: empty name")
	}
	if _, dup := p.index[name]; dup {
		return nil, fmt.Errorf("autograd: Params.Add: parameter %q already exists", name)
	}
	off := len(p.data)
	n := s.Numel()
	if off+n > cap(p.data) {
		p.grow(max(off+n, 2*cap(p.data)))
	}
	// The room beyond the old length is zero: made by grow and never
	// handed out (views and Data stop at their length).
	p.data, p.grad = p.data[:off+n], p.grad[:off+n]
	v := &Var{Value: tensor.Tensor{Shape: s}, needsGrad: true, param: true, op: -1}
	p.index[name] = len(p.vars)
	p.names = append(p.names, name)
	p.vars = append(p.vars, v)
	p.offs = append(p.offs, off)
	v.Value.Data = p.data[off : off+n : off+n]
	v.Grad = p.grad[off : off+n : off+n]
	return v, nil
}

// Reserve makes room for n values in all, so that parameters added up to
// that total are placed without moving the flat buffers: a model that knows
// its size calls it first (NewBert does), its buffers are then allocated
// once, and building it leaves no discarded copies behind.
func (p *Params) Reserve(n int) {
	if n > cap(p.data) {
		p.grow(n)
	}
}

// grow moves the flat buffers to new ones of capacity n and points every
// parameter's views at them. Gradients are copied only when one is nonzero:
// a fresh buffer is already zero, and leaving it untouched keeps the memory
// of a model that is never trained (inference) out of the resident set.
func (p *Params) grow(n int) {
	data := make([]float32, len(p.data), n)
	grad := make([]float32, len(p.grad), n)
	copy(data, p.data)
	if slices.ContainsFunc(p.grad, func(g float32) bool { return math.Float32bits(g) != 0 }) {
		copy(grad, p.grad)
	}
	p.data, p.grad = data, grad
	for i, pv := range p.vars {
		o, m := p.offs[i], pv.Value.Shape.Numel()
		pv.Value.Data = p.data[o : o+m : o+m]
		pv.Grad = p.grad[o : o+m : o+m]
	}
}

// Len returns the number of parameters.
func (p *Params) Len() int { return len(p.vars) }

// Name returns parameter i's name.
func (p *Params) Name(i int) string { return p.names[i] }

// Var returns parameter i.
func (p *Params) Var(i int) *Var { return p.vars[i] }

// Offset returns where parameter i starts in the flat buffers.
func (p *Params) Offset(i int) int { return p.offs[i] }

// Lookup returns the parameter with the given name.
func (p *Params) Lookup(name string) (*Var, bool) {
	i, ok := p.index[name]
	if !ok {
		return nil, false
	}
	return p.vars[i], true
}

// Data returns the flat buffer of all values.
func (p *Params) Data() []float32 { return p.data[:len(p.data):len(p.data)] }

// Grad returns the flat buffer of all gradients.
func (p *Params) Grad() []float32 { return p.grad[:len(p.grad):len(p.grad)] }

// NumValues returns the total number of scalar values.
func (p *Params) NumValues() int { return len(p.data) }

// ZeroGrad sets every gradient to zero.
func (p *Params) ZeroGrad() { clear(p.grad) }

// Span returns a variable over the values (and gradients) of the
// consecutive parameters first..last, seen with shape s: several
// parameters stored back to back used as one, such as query, key and value
// weights [C, C] each as one [3C, C] matrix for a fused projection. Its
// gradient is the parameters' own, so whatever flows into it reaches them.
// It fails if the element counts differ. Add no parameter afterwards (the
// flat buffers would move).
func (p *Params) Span(first, last int, s tensor.Shape) (*Var, error) {
	if first < 0 || last >= len(p.vars) || first > last {
		return nil, fmt.Errorf("autograd: Params.Span: parameters %d..%d of %d", first, last, len(p.vars))
	}
	lo := p.offs[first]
	hi := p.offs[last] + p.vars[last].Value.Shape.Numel()
	if s.Numel() != hi-lo {
		return nil, fmt.Errorf("autograd: Params.Span: %s..%s hold %d values, shape %v needs %d", p.names[first], p.names[last], hi-lo, s, s.Numel())
	}
	return &Var{Value: tensor.Tensor{Shape: s, Data: p.data[lo:hi:hi]}, Grad: p.grad[lo:hi:hi], needsGrad: true, param: true, op: -1}, nil
}
