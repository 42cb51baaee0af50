package autograd

import "fmt"

// Checkpoint's backward runs a whole backward pass (of its block), so it
// joins the table at init: in the table's initializer it would make the
// table depend on itself.
func init() { backwardFns[opCheckpoint] = checkpointBackward }

// checkpoint is what a Checkpoint op keeps to recompute its block in
// backward: the block itself and the dropout generator's state when the
// block first ran, so that the recomputation draws the same masks.
type checkpoint struct {
	f   func(t *Tape, x *Var) *Var
	rng []byte
}

// Checkpoint returns f(x) without keeping f's intermediate values: the
// block runs on a second tape without gradients, only its output is
// recorded here, and backward runs f again on x, recording this time,
// then back through it (activation checkpointing, or gradient
// recomputation, as torch.utils.checkpoint). Memory then holds each
// checkpointed block's input and output instead of all its activations,
// at the cost of a second forward pass of the block. The values and
// gradients are bit for bit those of calling f(t, x) directly: the
// recomputation repeats the same operations and, in training mode, draws
// the same dropout masks (the generator's state is saved before the first
// run and restored for the second; afterwards this tape's generator is
// where f would have left it).
//
// f must build its result from x, from parameters (Vars of a Params,
// whose gradient buffers outlive every tape) and from constants whose
// values do not change before backward, and must not keep references to
// the tape it is given: it runs twice, on another tape. Without gradient recording
// (NoGrad), Checkpoint is f(t, x).
func (t *Tape) Checkpoint(x *Var, f func(t *Tape, x *Var) *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	if t.noGrad {
		return f(t, x)
	}
	state, err := t.rng.MarshalBinary()
	if err != nil {
		return t.Fail(fmt.Errorf("autograd: Checkpoint: %w", err))
	}
	sub := t.subTape()
	sub.NoGrad(true)
	y := f(sub, sub.Const(&x.Value))
	if err := sub.Err(); err != nil {
		return t.Fail(err)
	}
	// This tape's generator continues from where f's draws left it.
	after, err := sub.rng.MarshalBinary()
	if err == nil {
		err = t.rng.UnmarshalBinary(after)
	}
	if err != nil {
		return t.Fail(fmt.Errorf("autograd: Checkpoint: %w", err))
	}
	o := t.record(opCheckpoint, y.Value.Shape, x)
	copy(o.out.Value.Data, y.Value.Data)
	o.out.needsGrad = true // f's parameters need gradients even when x does not
	o.ck = &checkpoint{f: f, rng: state}
	sub.Reset()
	return o.out
}

// subTape returns the tape on which Checkpoint runs its blocks, made once
// and reused: its generator is set from this tape's before each use.
func (t *Tape) subTape() *Tape {
	if t.sub == nil {
		t.sub = NewTape(0)
	}
	s := t.sub
	s.Reset()
	s.ClearErr()
	s.train = t.train
	s.bf16 = t.bf16
	if b, err := t.rng.MarshalBinary(); err == nil {
		s.err = s.rng.UnmarshalBinary(b)
	}
	return s
}

func checkpointBackward(t *Tape, o *op) {
	x := o.in[0]
	sub := t.subTape()
	if err := sub.rng.UnmarshalBinary(o.ck.rng); err != nil {
		t.backErr(err)
		return
	}
	sub.NoGrad(false)
	in := sub.Const(&x.Value)
	in.needsGrad = x.needsGrad
	y := o.ck.f(sub, in)
	if err := sub.Err(); err != nil {
		t.backErr(err)
		return
	}
	if err := sub.BackwardFrom(y, o.out.Grad); err != nil {
		t.backErr(err)
		return
	}
	if x.needsGrad && in.Grad != nil {
		t.accumulate(x, in.Grad)
	}
	sub.Reset()
}

// backErr records an error met during backward; BackwardFrom returns it.
func (t *Tape) backErr(err error) {
	if t.err == nil {
		t.err = fmt.Errorf("autograd: Checkpoint backward: %w", err)
	}
}
