package autograd

import (
	"fmt"
	"math"
	"strings"

	"github.com/rrra/rrra/tensor"
)

// encoder is a BERT-style post-LN encoder stack with a mean-pooled,
// L2-normalised, in-batch InfoNCE loss (the first half of the batch are
// queries, the second half their documents), built from this package's ops
// for the PyTorch golden test and the block benchmark. Parameters use
// Hugging Face names (encoderParamNames).
type encoder struct {
	p              *Params
	heads, layers  int
	eps, tau, drop float32
	additive       *tensor.Tensor
	selQ, selD     *tensor.Tensor
	targets        []int32
	lw             []layerWeights // resolved on first use
}

// layerWeights are one layer's parameters, looked up once so that a step
// builds no strings.
type layerWeights struct {
	q, k, v, ao, i, o [2]*Var // weight, bias
	aln, oln          [2]*Var // LayerNorm weight, bias
}

func (e *encoder) resolve() {
	get := func(name string) *Var {
		v, ok := e.p.Lookup(name)
		if !ok {
			panic("encoder: no parameter " + name)
		}
		return v
	}
	pair := func(name string) [2]*Var { return [2]*Var{get(name + ".weight"), get(name + ".bias")} }
	for l := 0; l < e.layers; l++ {
		pre := fmt.Sprintf("encoder.layer.%d.", l)
		e.lw = append(e.lw, layerWeights{
			q: pair(pre + "attention.self.query"), k: pair(pre + "attention.self.key"),
			v: pair(pre + "attention.self.value"), ao: pair(pre + "attention.output.dense"),
			i: pair(pre + "intermediate.dense"), o: pair(pre + "output.dense"),
			aln: pair(pre + "attention.output.LayerNorm"), oln: pair(pre + "output.LayerNorm"),
		})
	}
}

func linear(tp *Tape, in *Var, wb [2]*Var) *Var { return tp.Linear(in, wb[0], wb[1]) }

// step runs the forward pass on x [B, T, C] with a 0/1 mask [B, T] and
// returns the last hidden states, the pooled vectors, the scores and the
// loss. Buffers derived from the mask are made once and reused.
func (e *encoder) step(tp *Tape, x *Var, mask *tensor.Tensor) (h, pooled, scores, loss *Var) {
	B := x.Shape().Dim(0)
	if e.additive == nil {
		e.additive = tensor.New(mask.Shape)
		for i, m := range mask.Data {
			e.additive.Data[i] = (1 - m) * -1e9
		}
		// Queries are the first half of the batch, documents the second:
		// select them with constant 0/1 matrices.
		e.selQ, e.selD = tensor.New(tensor.S(B/2, B)), tensor.New(tensor.S(B/2, B))
		for i := 0; i < B/2; i++ {
			e.selQ.Data[i*B+i], e.selD.Data[i*B+B/2+i] = 1, 1
			e.targets = append(e.targets, int32(i))
		}
	}
	if e.lw == nil {
		e.resolve()
	}
	C := x.Shape().Dim(2)
	scale := float32(1 / math.Sqrt(float64(C/e.heads)))
	h = x
	for _, w := range e.lw {
		q, k, v := linear(tp, h, w.q), linear(tp, h, w.k), linear(tp, h, w.v)
		ctx := tp.MultiHeadAttention(q, k, v, e.heads, e.additive, scale, 0)
		a := tp.Dropout(linear(tp, ctx, w.ao), e.drop)
		h = tp.LayerNorm(tp.Add(h, a), w.aln[0], w.aln[1], e.eps)
		ff := tp.Dropout(linear(tp, tp.GELU(linear(tp, h, w.i)), w.o), e.drop)
		h = tp.LayerNorm(tp.Add(h, ff), w.oln[0], w.oln[1], e.eps)
	}
	pooled = tp.MeanPool(h, mask)
	emb := tp.L2Normalize(pooled, e.eps)
	qe := tp.MatMul(tp.Const(e.selQ), emb, false, false)
	de := tp.MatMul(tp.Const(e.selD), emb, false, false)
	scores = tp.Scale(tp.MatMul(qe, de, false, true), 1/e.tau)
	loss = tp.CrossEntropy(scores, e.targets)
	return h, pooled, scores, loss
}

func encoderParamNames(l int) []string {
	pre := fmt.Sprintf("encoder.layer.%d.", l)
	var names []string
	for _, s := range []string{"attention.self.query", "attention.self.key", "attention.self.value",
		"attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"} {
		names = append(names, pre+s+".weight", pre+s+".bias")
	}
	return names
}

// newEncoderParams makes the parameters of an encoder of width c, FFN
// width ff and the given depth, initialised as BERT does (normal 0.02,
// biases 0, LayerNorm weights 1).
func newEncoderParams(c, ff, layers int, seed uint64) *Params {
	p := NewParams()
	g := tensor.NewRNG(seed)
	for l := 0; l < layers; l++ {
		for _, n := range encoderParamNames(l) {
			var s tensor.Shape
			switch {
			case strings.HasSuffix(n, ".bias"):
				s = tensor.S(c)
				if strings.Contains(n, "intermediate") {
					s = tensor.S(ff)
				}
			case strings.Contains(n, "LayerNorm"):
				s = tensor.S(c)
			case strings.Contains(n, "intermediate"):
				s = tensor.S(ff, c)
			case strings.Contains(n, "output.dense") && !strings.Contains(n, "attention"):
				s = tensor.S(c, ff)
			default:
				s = tensor.S(c, c)
			}
			v, _ := p.Add(n, s)
			switch {
			case strings.Contains(n, "LayerNorm.weight"):
				v.Value.Fill(1)
			case strings.Contains(n, ".weight"):
				g.Normal(&v.Value, 0, 0.02)
			}
		}
	}
	return p
}
