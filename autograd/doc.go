// Package autograd is rrra's reverse-mode differentiation engine.
//
// A Tape records every operation in the order it is made; Backward walks the
// records in reverse, each operation adding the gradients of its inputs from
// the gradient of its output. Operations are methods on *Tape (t.MatMul,
// t.GELU, t.LayerNorm, fused t.Attention and t.MultiHeadAttention, …),
// each file holding one operation or a few related ones with their forward,
// their backward and a short derivation of the backward.
//
// Memory: a Tape draws activations, saved buffers and intermediate gradients
// from an arena that Reset empties without freeing, and reuses its records,
// so a training step that repeats the same operations allocates nothing
// after the first. Parameters live in a Params set: one flat buffer of
// values, one of gradients, in the same layout, so an optimizer is one loop.
//
// Errors: an operation given inputs of the wrong shape records the first
// such error on the tape, naming the operation and the shapes, and every
// later operation is skipped; Backward returns it. A loss that is NaN or
// infinite makes Backward fail with an error naming the first operation
// whose output was not finite.
//
// Checking: GradCheck compares an operation's gradients with float64
// central differences; the tests run it on every op and kernel tier, and
// compare a two-layer encoder's outputs and gradients with PyTorch's.
//
// Parallelism lives inside operations (rows, heads, GEMM panels) through
// package kernels; a step gives the same bits whatever the thread count,
// on one kernel tier.
package autograd
