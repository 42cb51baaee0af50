package autograd

import (
	"errors"
	"fmt"
	"math"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// Var is a value in a computation: a tensor, the gradient of the loss with
// respect to it once Backward has reached it, and whether it needs one.
type Var struct {
	// Value is the variable's tensor. For a variable made by an operation
	// it lives in the tape's arena and is valid until the tape's Reset.
	Value tensor.Tensor
	// Grad has Value's shape; nil until Backward writes a gradient (for a
	// parameter, a view of its Params' flat gradient buffer). After Backward
	// it holds the gradient of every leaf, parameter and retained variable
	// (Tape.Retain). Other intermediate variables give their buffer back for
	// reuse once their op has run backward (Grad is then nil) or hand it to
	// an input (as PyTorch keeps no gradient for non-leaf tensors).
	Grad []float32

	needsGrad bool
	param     bool
	retain    bool
	ownsGrad  bool  // Grad came from the tape's gradient buffers and is v's alone
	op        int32 // index of the producing record on the tape; -1 for leaves
}

// Shape returns the shape of v's value.
func (v *Var) Shape() tensor.Shape { return v.Value.Shape }

// Data returns v's values.
func (v *Var) Data() []float32 { return v.Value.Data }

// NeedsGrad reports whether gradients flow to v.
func (v *Var) NeedsGrad() bool { return v.needsGrad }

// op is one recorded operation. The fields are generic so that every kind
// fits the same struct and the tape's record slice can be reused without
// allocating: each kind documents what it keeps where.
type op struct {
	kind opKind
	out  *Var
	in   [4]*Var
	buf  [4][]float32 // saved for backward (arena)
	cst  []float32    // constant input data (masks, targets, weights; copied to the arena)
	ids  []int32      // integer inputs (token ids, class targets; copied)
	n    [6]int       // integer parameters
	off  [3]int       // offsets within rows (MultiHeadAttention)
	f    [2]float32   // float parameters
	// scratch lends buffers to ops that need per-goroutine work space.
	scratch *scratchPool
	ck      *checkpoint // Checkpoint's block
	// phase selects what Run computes when the op is split across
	// goroutines (see kernels.Parallel).
	phase int
}

// Tape records operations and runs them backward.
type Tape struct {
	ops    []op
	vars   varSlab
	arena  arena
	ints   intArena
	noGrad bool
	train  bool
	rng    *tensor.RNG
	err    error
	dummy  Var
	offs   []int32 // scratch for converting offsets

	// attnScratch lends per-goroutine probability buffers to attention
	// over packed sequences without gradients.
	attnScratch scratchPool
	// ffn holds FeedForward's intermediate block without gradients.
	ffn []float32

	// sub runs Checkpoint's blocks (made on first use).
	sub *Tape

	// bf16 makes Linear and MatMul multiply with bfloat16-rounded
	// operands and float32 sums (kernels.SgemmBF16), forward and backward.
	bf16 bool

	// freeGrads holds gradient buffers, by length, whose variables' ops
	// have run backward: later gradients of the same size reuse them, so
	// the backward pass needs the memory of the gradients alive at once,
	// not of all of them. Emptied (keeping capacity) at Reset.
	freeGrads map[int][][]float32

	// Reusable tasks for parallel element-wise and column work.
	vt vecTask
	rt rowTask
	ct colTask
}

// SetBF16 makes Linear and MatMul (forward and backward) multiply with
// their operands rounded to bfloat16 and float32 sums (kernels.SgemmBF16),
// as mixed-precision training does; every other op, the values kept and
// the gradients stay float32, so the parameters are float32 master
// weights. bfloat16 has float32's exponent range, so gradients that
// float16 would flush to zero stay representable: no loss scaling is
// needed. MultiHeadAttentionVarLen rounds four of its six per-head
// products to bfloat16 too (see there); the other attention ops' batched
// products stay float32.
func (t *Tape) SetBF16(on bool) { t.bf16 = on }

// BF16 reports whether SetBF16 is on.
func (t *Tape) BF16() bool { return t.bf16 }

// gemm is kernels.Sgemm, or kernels.SgemmBF16 under SetBF16.
func (t *Tape) gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if t.bf16 {
		kernels.SgemmBF16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	kernels.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// NewTape returns an empty tape. seed drives dropout.
func NewTape(seed uint64) *Tape {
	t := &Tape{rng: tensor.NewRNG(seed), train: true}
	t.dummy.op = -1
	return t
}

// SetTraining turns dropout on (true, the default) or off.
func (t *Tape) SetTraining(on bool) { t.train = on }

// Training reports whether dropout is on.
func (t *Tape) Training() bool { return t.train }

// NoGrad turns gradient recording off (true) or on. With it off, operations
// compute their values but nothing needs a gradient: use it for inference.
func (t *Tape) NoGrad(off bool) { t.noGrad = off }

// Recording reports whether gradients are being recorded (NoGrad is off).
func (t *Tape) Recording() bool { return !t.noGrad }

// RNG returns the tape's random generator (dropout), so its state can be
// saved with a checkpoint.
func (t *Tape) RNG() *tensor.RNG { return t.rng }

// Err returns the first error an operation recorded, if any.
func (t *Tape) Err() error { return t.err }

// Reset forgets every record and makes all arena memory available again:
// every Var made by an operation since the last Reset becomes invalid.
// Parameters and their gradients are untouched, and so is a recorded error
// (see ClearErr).
func (t *Tape) Reset() {
	clear(t.ops) // drop pointers so nothing old is kept alive
	t.ops = t.ops[:0]
	t.vars.reset()
	t.arena.reset()
	t.ints.reset()
	for n, l := range t.freeGrads {
		clear(l)
		t.freeGrads[n] = l[:0]
	}
}

// Mark is a position on a no-grad tape (see Keep).
type Mark struct {
	arena arenaMark
	ops   int
	vars  int
}

// Mark returns the tape's current position, for Keep.
func (t *Tape) Mark() Mark { return Mark{t.arena.mark(), len(t.ops), t.vars.n} }

// Keep, with gradient recording off (NoGrad), frees everything made since
// m except v, which it moves to m and returns: inference through a deep
// model then needs the memory of one layer, not of all. Taken once before
// the first layer's input is made, one mark serves every layer: each Keep
// frees the layer's input with its intermediates and puts the output where
// the input was, so the tape holds one layer's output between layers,
// whatever the depth (Bert.Forward does this). The kept values are moved,
// never recomputed: they are bit for bit those of the same computation
// without Keep. Keep records an error and returns the tape's placeholder
// if gradients are being recorded (they need every intermediate value) or
// v was made before m.
func (t *Tape) Keep(m Mark, v *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	if !t.noGrad {
		return t.Fail(errors.New("autograd: Keep with gradient recording on"))
	}
	if int(v.op) < m.ops {
		return t.Fail(errors.New("autograd: Keep of a variable made before the mark"))
	}
	val := v.Value
	clear(t.ops[m.ops:])
	t.ops = t.ops[:m.ops]
	t.vars.n = m.vars
	t.arena.release(m.arena)
	kept := t.vars.next()
	kept.Value = tensor.Tensor{Shape: val.Shape, Data: t.arena.alloc(len(val.Data))}
	copy(kept.Value.Data, val.Data) // may overlap only by moving down: copy handles it
	kept.op = -1
	return kept
}

// ClearErr forgets a recorded error.
func (t *Tape) ClearErr() { t.err = nil }

// Const returns a leaf holding x (not copied) that needs no gradient: data,
// masks, frozen weights.
func (t *Tape) Const(x *tensor.Tensor) *Var {
	v := t.vars.next()
	v.Value = *x
	v.op = -1
	return v
}

// Leaf returns a leaf holding x (not copied) whose gradient Backward
// computes (into an arena buffer, valid until Reset).
func (t *Tape) Leaf(x *tensor.Tensor) *Var {
	v := t.Const(x)
	v.needsGrad = !t.noGrad
	return v
}

// fail records the first error and returns the placeholder that operations
// return once the tape has failed.
func (t *Tape) fail(kind opKind, format string, args ...any) *Var {
	if t.err == nil {
		t.err = fmt.Errorf("autograd: %s: %w", opNames[kind], fmt.Errorf(format, args...))
	}
	return &t.dummy
}

// Fail records err as the tape's error (if it has none yet) and returns the
// placeholder variable that operations return once the tape has failed, so
// code that builds models on the tape can report its own input errors the
// way operations do.
func (t *Tape) Fail(err error) *Var {
	if t.err == nil {
		t.err = err
	}
	return &t.dummy
}

// ErrShape is wrapped by every shape error an operation records.
var ErrShape = tensor.ErrShape

// ErrNotFinite is wrapped by the error Backward returns for a NaN or
// infinite loss.
var ErrNotFinite = errors.New("not finite")

// record appends an op of the given kind whose output has shape s, and
// returns it with its output variable. The output needs a gradient when any
// input does.
func (t *Tape) record(kind opKind, s tensor.Shape, in ...*Var) *op {
	out := t.vars.next()
	out.Value = tensor.Tensor{Shape: s, Data: t.arena.alloc(s.Numel())}
	out.op = int32(len(t.ops))
	for _, x := range in {
		if x.needsGrad && !t.noGrad {
			out.needsGrad = true
		}
	}
	t.ops = append(t.ops, op{kind: kind, out: out})
	o := &t.ops[len(t.ops)-1]
	copy(o.in[:], in)
	return o
}

// grad returns v's gradient buffer, zeroed, on first use.
func (t *Tape) grad(v *Var) []float32 {
	if v.Grad == nil {
		t.newGrad(v)
		clear(v.Grad)
	}
	return v.Grad
}

// newGrad gives v a gradient buffer with undefined contents: a released one
// of the same length if there is one, else a new one from the arena.
func (t *Tape) newGrad(v *Var) []float32 {
	n := len(v.Value.Data)
	if l := t.freeGrads[n]; len(l) > 0 {
		v.Grad = l[len(l)-1]
		l[len(l)-1] = nil
		t.freeGrads[n] = l[:len(l)-1]
	} else {
		v.Grad = t.arena.alloc(n)
	}
	v.ownsGrad = true
	return v.Grad
}

// releaseGrad returns the gradient buffer of o's output for reuse once o has
// run backward, unless the output is retained or its buffer is shared.
func (t *Tape) releaseGrad(o *op) {
	v := o.out
	if !v.ownsGrad || v.retain || v.param || v.Grad == nil {
		return
	}
	if t.freeGrads == nil {
		t.freeGrads = map[int][][]float32{}
	}
	t.freeGrads[len(v.Grad)] = append(t.freeGrads[len(v.Grad)], v.Grad)
	v.Grad, v.ownsGrad = nil, false
}

// gradBeta returns v's gradient buffer and the beta with which a GEMM should
// add into it: 1 when it already holds gradient, 0 when it was just taken
// from the arena, unzeroed (so the first GEMM writes instead of adding, and
// nothing is cleared that is about to be overwritten).
func (t *Tape) gradBeta(v *Var) ([]float32, float32) {
	if v.Grad == nil {
		return t.newGrad(v), 0
	}
	return v.Grad, 1
}

// Retain keeps v's gradient intact through Backward (see Var.Grad).
func (t *Tape) Retain(v *Var) { v.retain = true }

// passGrad gives input v the gradient src of o's output, unchanged: when v
// has no gradient yet and o's output is not retained, v takes over src's
// buffer (the output's gradient is not read again), else src is added.
func (t *Tape) passGrad(o *op, v *Var, src []float32) {
	if v.Grad == nil && !v.param && !o.out.retain {
		v.Grad = src
		v.ownsGrad, o.out.ownsGrad = o.out.ownsGrad, false // the buffer changes hands
		return
	}
	t.accumulate(v, src)
}

// accumulate adds src into v's gradient, copying it when v has none yet.
func (t *Tape) accumulate(v *Var, src []float32) {
	if v.Grad == nil {
		t.newGrad(v)
		t.vec(vecCopy, v.Grad, nil, src)
		return
	}
	t.vec(vecAdd, v.Grad, nil, src)
}

// Backward computes the gradient of loss, which must hold one value, with
// respect to every variable that needs one, adding into parameters'
// gradients (call Params.ZeroGrad between steps). It returns the tape's
// recorded error if an operation failed, and an error wrapping ErrNotFinite
// naming the first operation with a NaN or infinite output if the loss is
// not finite.
func (t *Tape) Backward(loss *Var) error {
	if t.err != nil {
		return t.err
	}
	if len(loss.Value.Data) != 1 {
		return fmt.Errorf("autograd: Backward: the loss has shape %v; it must hold one value", loss.Value.Shape)
	}
	return t.BackwardFrom(loss, []float32{1})
}

// BackwardFrom runs the backward pass from out with the given gradient of
// out (a vector-Jacobian product): Backward(loss) is BackwardFrom(loss, [1]).
func (t *Tape) BackwardFrom(out *Var, grad []float32) error {
	if t.err != nil {
		return t.err
	}
	if t.noGrad {
		return errors.New("autograd: Backward with gradient recording off (NoGrad)")
	}
	if len(grad) != len(out.Value.Data) {
		return fmt.Errorf("autograd: Backward: %d gradient values for an output of shape %v", len(grad), out.Value.Shape)
	}
	for _, v := range out.Value.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return t.notFinite(out)
		}
	}
	if !out.needsGrad {
		return nil
	}
	copy(t.grad(out), grad)
	for i := len(t.ops) - 1; i >= 0; i-- {
		o := &t.ops[i]
		if o.out.Grad == nil || !o.out.needsGrad {
			continue // no gradient reached this op
		}
		backwardFns[o.kind](t, o)
		t.releaseGrad(o)
	}
	return t.err // set only by a Checkpoint whose recomputation failed
}

// notFinite names the first recorded op whose output holds NaN or ±Inf.
func (t *Tape) notFinite(out *Var) error {
	for i := range t.ops {
		o := &t.ops[i]
		if ok, at := (&o.out.Value).Finite(); !ok {
			return fmt.Errorf("autograd: %w: %s (record %d) produced %v at element %d of its %v output",
				ErrNotFinite, opNames[o.kind], i, o.out.Value.Data[at], at, o.out.Value.Shape)
		}
	}
	return fmt.Errorf("autograd: %w: the loss is %v but no recorded operation produced it", ErrNotFinite, out.Value.Data)
}

// varSlab hands out Vars from fixed-size chunks, so their addresses stay
// valid while the slab grows, and reuses them after reset.
type varSlab struct {
	chunks []*[256]Var
	n      int
}

func (s *varSlab) next() *Var {
	c, i := s.n/256, s.n%256
	if c == len(s.chunks) {
		s.chunks = append(s.chunks, new([256]Var))
	}
	s.n++
	v := &s.chunks[c][i]
	*v = Var{}
	return v
}

func (s *varSlab) reset() { s.n = 0 }

// Footprint returns the number of float32 values the tape's arena holds in
// its chunks (reserved) and the most it has had in use at once (peak), for
// measuring a computation's activation memory.
func (t *Tape) Footprint() (reserved, peak int) {
	for _, c := range t.arena.chunks {
		reserved += len(c)
	}
	return reserved, max(t.arena.peak, t.arena.used)
}
