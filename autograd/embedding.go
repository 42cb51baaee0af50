package autograd

import "github.com/rrra/rrra/tensor"

// Embedding gathers rows of the table w ([V, C]) by id: the result is
// [len(ids), C], row i being w[ids[i]]. An id outside [0, V) is an error.
//
// Backward: scatter-add, dw[ids[i]] += dy[i] (in order, so repeated ids
// accumulate the same way for any thread count).
func (t *Tape) Embedding(w *Var, ids []int32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	ws := w.Value.Shape
	if ws.Rank() != 2 {
		return t.fail(opEmbedding, "%w: table %v is not 2-D", ErrShape, ws)
	}
	v, c := ws.Dim(0), ws.Dim(1)
	for i, id := range ids {
		if id < 0 || int(id) >= v {
			return t.fail(opEmbedding, "id %d at position %d is outside the table's %d rows", id, i, v)
		}
	}
	o := t.record(opEmbedding, tensor.S(len(ids), c), w)
	o.ids = t.ints.copyOf(ids)
	y, table := o.out.Value.Data, w.Value.Data
	for i, id := range o.ids {
		copy(y[i*c:(i+1)*c], table[int(id)*c:(int(id)+1)*c])
	}
	return o.out
}

func embeddingBackward(t *Tape, o *op) {
	w := o.in[0]
	if !w.needsGrad {
		return
	}
	c := w.Value.Shape.Dim(1)
	dw, dy := t.grad(w), o.out.Grad
	for i, id := range o.ids {
		dst, src := dw[int(id)*c:(int(id)+1)*c], dy[i*c:(i+1)*c]
		for j, g := range src {
			dst[j] += g
		}
	}
}
