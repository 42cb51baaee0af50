package nn

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/tensor"
)

// Bert is a BERT encoder with Hugging Face's semantics and parameter names
// (embeddings.word_embeddings.weight, encoder.layer.0.attention.self.query.
// weight, …): word + position + token-type embeddings, their LayerNorm and
// dropout, then post-LN layers of self-attention (queries, keys and values
// projected by one fused GEMM) and a GELU feed-forward block. All numerics
// come from the config.
type Bert struct {
	Config BertConfig
	Params *autograd.Params
	// Recompute turns on activation checkpointing in training: each
	// layer keeps only its input, and backward recomputes the layer's
	// activations (autograd's Checkpoint) before going back through it.
	// Training then holds one layer's activations instead of all of them,
	// for one more forward pass of the layers; values and gradients are
	// unchanged, bit for bit. Inference is not affected.
	Recompute bool

	word, pos, typ *autograd.Var
	embLN          [2]*autograd.Var
	layers         []bertLayer

	// int8 holds the quantized Linear weights (nil: not quantized), prec
	// the forward pass's precision (quant.go).
	int8 []int8Layer
	prec Precision

	// per-batch scratch, grown as needed and reused (the tape copies what
	// it keeps), so batches of varying shapes allocate nothing once seen
	posIDs, typeIDs []int32
	addBuf          []float32
	additive        tensor.Tensor
}

type bertLayer struct {
	index          int              // the layer's position
	ao, inter, out [2]*autograd.Var // weight, bias
	aln, oln       [2]*autograd.Var // LayerNorm weight, bias
	// qkv views the query, key and value weights (stored back to back) as
	// one [3·hidden, hidden] matrix and their biases as one [3·hidden]
	// vector: one GEMM projects all three.
	qkv [2]*autograd.Var
}

// NewBert returns a model of configuration c with BERT's initialisation:
// weights N(0, initializer_range), biases 0, LayerNorm weights 1.
func NewBert(c BertConfig, seed uint64) (*Bert, error) { return newBert(c, seed, true) }

// newBert builds the model; without init every parameter is left zero,
// for a loader that fills them all (LoadModel: drawing 110 million
// normal values for BERT-base only to overwrite them took about half of
// loading it).
func newBert(c BertConfig, seed uint64, init bool) (*Bert, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("nn: NewBert: %w", err)
	}
	m := &Bert{Config: c, Params: autograd.NewParams()}
	m.Params.Reserve(c.numParams()) // one allocation, no discarded copies
	g := tensor.NewRNG(seed)
	add := func(name string, s tensor.Shape) *autograd.Var {
		v, err := m.Params.Add(name, s)
		if err != nil {
			panic(err) // names are fixed and unique here
		}
		switch {
		case !init:
		case NoDecay(name) && !isLayerNormWeight(name):
			// biases and LayerNorm biases: 0
		case isLayerNormWeight(name):
			v.Value.Fill(1)
		default:
			g.Normal(&v.Value, 0, float32(c.InitializerRange))
		}
		return v
	}
	h, ff := c.HiddenSize, c.IntermediateSize
	m.word = add("embeddings.word_embeddings.weight", tensor.S(c.VocabSize, h))
	m.pos = add("embeddings.position_embeddings.weight", tensor.S(c.MaxPositionEmbeddings, h))
	m.typ = add("embeddings.token_type_embeddings.weight", tensor.S(c.TypeVocabSize, h))
	m.embLN = [2]*autograd.Var{add("embeddings.LayerNorm.weight", tensor.S(h)), add("embeddings.LayerNorm.bias", tensor.S(h))}
	linear := func(name string, out, in int) [2]*autograd.Var {
		return [2]*autograd.Var{add(name+".weight", tensor.S(out, in)), add(name+".bias", tensor.S(out))}
	}
	norm := func(name string) [2]*autograd.Var {
		return [2]*autograd.Var{add(name+".weight", tensor.S(h)), add(name+".bias", tensor.S(h))}
	}
	qkvIdx := make([][2]int, c.NumHiddenLayers) // first query weight and bias, per layer
	for l := 0; l < c.NumHiddenLayers; l++ {
		pre := fmt.Sprintf("encoder.layer.%d.", l)
		lw := bertLayer{index: l}
		// The query, key and value weights back to back, then their biases,
		// so that each triple is one contiguous matrix or vector.
		qkvIdx[l][0] = m.Params.Len()
		for _, n := range []string{"query", "key", "value"} {
			add(pre+"attention.self."+n+".weight", tensor.S(h, h))
		}
		qkvIdx[l][1] = m.Params.Len()
		for _, n := range []string{"query", "key", "value"} {
			add(pre+"attention.self."+n+".bias", tensor.S(h))
		}
		lw.ao, lw.aln = linear(pre+"attention.output.dense", h, h), norm(pre+"attention.output.LayerNorm")
		lw.inter, lw.out = linear(pre+"intermediate.dense", ff, h), linear(pre+"output.dense", h, ff)
		lw.oln = norm(pre + "output.LayerNorm")
		m.layers = append(m.layers, lw)
	}
	// Views over the final flat buffers (Add moves them).
	for i := range m.layers {
		i0, i1 := qkvIdx[i][0], qkvIdx[i][1]
		w, err := m.Params.Span(i0, i0+2, tensor.S(3*h, h))
		if err != nil {
			return nil, err
		}
		b, err := m.Params.Span(i1, i1+2, tensor.S(3*h))
		if err != nil {
			return nil, err
		}
		m.layers[i].qkv = [2]*autograd.Var{w, b}
	}
	return m, nil
}

// numParams returns the number of values in a Bert of configuration c:
// the embeddings and their LayerNorm, then per layer the query, key, value
// and attention output projections, two LayerNorms and the feed-forward
// block, weights and biases.
func (c BertConfig) numParams() int {
	h, ff := c.HiddenSize, c.IntermediateSize
	emb := (c.VocabSize+c.MaxPositionEmbeddings+c.TypeVocabSize)*h + 2*h
	layer := 4*(h*h+h) + 2*2*h + (ff*h + ff) + (h*ff + h)
	return emb + c.NumHiddenLayers*layer
}

func isLayerNormWeight(name string) bool {
	return strings.HasSuffix(name, "LayerNorm.weight")
}

// maskValue is the additive mask of padding keys, the most negative float32,
// as Hugging Face's extended attention mask.
var maskValue = float32(-math.MaxFloat32)

// Forward encodes a batch: ids holds B sequences of T token ids, row-major;
// typeIDs the token types (nil: all 0); mask [B, T] is 1 for tokens and 0
// for padding. It returns the last hidden states [B, T, hidden]. Dropout
// (hidden_dropout_prob on embeddings and sub-layer outputs,
// attention_probs_dropout_prob on attention probabilities) applies when the
// tape is in training mode.
func (m *Bert) Forward(tp *autograd.Tape, ids, typeIDs []int32, mask *tensor.Tensor) *autograd.Var {
	c := m.Config
	B, T := mask.Shape.Dim(0), mask.Shape.Dim(1)
	switch {
	case mask.Shape.Rank() != 2 || len(ids) != B*T || (typeIDs != nil && len(typeIDs) != B*T):
		return tp.Fail(fmt.Errorf("nn: Bert.Forward: %d ids and %d type ids for a mask of shape %v", len(ids), len(typeIDs), mask.Shape))
	case T > c.MaxPositionEmbeddings:
		return tp.Fail(fmt.Errorf("nn: Bert.Forward: sequences of %d tokens exceed max_position_embeddings %d", T, c.MaxPositionEmbeddings))
	}
	if cap(m.posIDs) < B*T {
		m.posIDs = make([]int32, B*T)
		m.typeIDs = make([]int32, B*T)
	}
	if cap(m.addBuf) < B*T {
		m.addBuf = make([]float32, B*T)
	}
	posIDs := m.posIDs[:B*T]
	for i := range posIDs {
		posIDs[i] = int32(i % T)
	}
	if typeIDs == nil {
		typeIDs = m.typeIDs[:B*T] // zeros
	}
	m.additive = tensor.Tensor{Shape: mask.Shape, Data: m.addBuf[:B*T]}
	for i, v := range mask.Data {
		m.additive.Data[i] = 0
		if v == 0 {
			m.additive.Data[i] = maskValue
		}
	}
	h := c.HiddenSize
	add := &m.additive
	if m.Recompute && tp.Recording() {
		// A recomputed layer runs again in backward, after later calls
		// have overwritten the model's scratch: it gets its own copy.
		add = &tensor.Tensor{Shape: m.additive.Shape, Data: append([]float32(nil), m.additive.Data...)}
	}
	return m.encoder(tp, ids, posIDs, typeIDs, tensor.S(B, T, h), func(tp *autograd.Tape, qkv *autograd.Var, scale, drop float32) *autograd.Var {
		return tp.MultiHeadAttentionPacked(qkv, c.NumAttentionHeads, add, scale, drop)
	})
}

// ForwardPacked encodes a batch of sequences laid end to end without
// padding: sequence s is ids[offsets[s]:offsets[s+1]] (offsets[0] is 0 and
// the last entry len(ids); no sequence is empty), typeIDs as for Forward.
// It returns the last hidden states [N, hidden], N = len(ids), row for row
// those Forward gives for the real tokens of the same sequences padded (up
// to the rounding of differently blocked matrix products), without any
// work on padding: the position-wise layers see only real tokens and each
// sequence attends to itself at its own length.
func (m *Bert) ForwardPacked(tp *autograd.Tape, ids, typeIDs []int32, offsets []int) *autograd.Var {
	c := m.Config
	n := len(ids)
	switch {
	case typeIDs != nil && len(typeIDs) != n:
		return tp.Fail(fmt.Errorf("nn: Bert.ForwardPacked: %d ids and %d type ids", n, len(typeIDs)))
	case len(offsets) < 2 || offsets[0] != 0 || offsets[len(offsets)-1] != n:
		return tp.Fail(fmt.Errorf("nn: Bert.ForwardPacked: offsets must run from 0 to the %d ids, one more than the sequences", n))
	}
	if cap(m.posIDs) < n {
		m.posIDs = make([]int32, n)
		m.typeIDs = make([]int32, n)
	}
	posIDs := m.posIDs[:n]
	for s := 0; s+1 < len(offsets); s++ {
		l := offsets[s+1] - offsets[s]
		switch {
		case l <= 0:
			return tp.Fail(fmt.Errorf("nn: Bert.ForwardPacked: sequence %d is empty or offsets decrease", s))
		case l > c.MaxPositionEmbeddings:
			return tp.Fail(fmt.Errorf("nn: Bert.ForwardPacked: sequence %d has %d tokens, more than max_position_embeddings %d", s, l, c.MaxPositionEmbeddings))
		}
		for j := range l {
			posIDs[offsets[s]+j] = int32(j)
		}
	}
	if typeIDs == nil {
		typeIDs = m.typeIDs[:n] // zeros
	}
	if m.Recompute && tp.Recording() {
		offsets = append([]int(nil), offsets...) // the caller may reuse its slice before backward
	}
	return m.encoder(tp, ids, posIDs, typeIDs, tensor.S(n, c.HiddenSize), func(tp *autograd.Tape, qkv *autograd.Var, scale, drop float32) *autograd.Var {
		return tp.MultiHeadAttentionVarLen(qkv, offsets, c.NumAttentionHeads, scale, drop)
	})
}

// encoder runs the embeddings and the layers over tokens whose hidden
// states have the given shape ([B, T, hidden] padded or [N, hidden]
// packed), attention being attend's.
func (m *Bert) encoder(tp *autograd.Tape, ids, posIDs, typeIDs []int32, shape tensor.Shape,
	attend func(tp *autograd.Tape, qkv *autograd.Var, scale, dropout float32) *autograd.Var) *autograd.Var {
	c := m.Config
	// Inference (no gradients): everything Forward makes lives above mark,
	// and after the embeddings and after each layer Keep moves the hidden
	// states down to mark and frees the rest, the previous hidden states
	// included, so the tape holds one matrix of hidden states between
	// layers and one block's intermediates at most (attention's, or the
	// feed-forward's: Keep runs after each), whatever the depth.
	// The values are the same as without Keep: it only moves them.
	inference := !tp.Recording()
	if m.prec == BF16 && !tp.BF16() {
		if !inference {
			return tp.Fail(errors.New("nn: a bf16 model records gradients only on a tape with SetBF16 on, so that backward multiplies as forward did"))
		}
		tp.SetBF16(true)
		defer tp.SetBF16(false)
	}
	var mark autograd.Mark
	if inference {
		mark = tp.Mark()
	}
	e := tp.Add(tp.Add(tp.Embedding(m.word, ids), tp.Embedding(m.pos, posIDs)), tp.Embedding(m.typ, typeIDs))
	x := tp.Reshape(tp.Dropout(tp.LayerNorm(e, m.embLN[0], m.embLN[1], float32(c.LayerNormEps)), float32(c.HiddenDropoutProb)), shape)
	if inference {
		x = tp.Keep(mark, x)
	}
	for i := range m.layers {
		l := &m.layers[i]
		if m.Recompute && !inference {
			x = tp.Checkpoint(x, func(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
				return m.layer(tp, l, x, attend, nil)
			})
			continue
		}
		var keep func(*autograd.Var) *autograd.Var
		if inference {
			keep = func(v *autograd.Var) *autograd.Var { return tp.Keep(mark, v) }
		}
		x = m.layer(tp, l, x, attend, keep)
	}
	return x
}

// layer runs one transformer layer on x; keep, when set, is applied to the
// attention block's output and to the layer's (inference frees each
// block's intermediates with it).
func (m *Bert) layer(tp *autograd.Tape, l *bertLayer, x *autograd.Var,
	attend func(tp *autograd.Tape, qkv *autograd.Var, scale, dropout float32) *autograd.Var,
	keep func(*autograd.Var) *autograd.Var) *autograd.Var {
	c := m.Config
	if m.int8 != nil && tp.Recording() {
		return tp.Fail(fmt.Errorf("nn: %w", ErrQuantizedTrain))
	}
	scale := float32(1 / math.Sqrt(float64(c.HiddenSize/c.NumAttentionHeads)))
	eps, drop := float32(c.LayerNormEps), float32(c.HiddenDropoutProb)
	var q *int8Layer
	if m.prec == Int8 {
		q = &m.int8[l.index]
	}
	var ctx, a *autograd.Var
	if q != nil {
		ctx = attend(tp, tp.LinearInt8(x, q.qkv), scale, float32(c.AttentionProbsDropoutProb))
		a = tp.Dropout(tp.LinearInt8(ctx, q.ao), drop)
	} else {
		ctx = attend(tp, tp.Linear(x, l.qkv[0], l.qkv[1]), scale, float32(c.AttentionProbsDropoutProb))
		a = tp.Dropout(tp.Linear(ctx, l.ao[0], l.ao[1]), drop)
	}
	x = tp.LayerNorm(tp.Add(x, a), l.aln[0], l.aln[1], eps)
	if keep != nil {
		x = keep(x)
	}
	var f *autograd.Var
	if q != nil {
		f = tp.Dropout(tp.FeedForwardInt8(x, q.inter, q.out), drop)
	} else {
		f = tp.Dropout(tp.FeedForward(x, l.inter[0], l.inter[1], l.out[0], l.out[1]), drop)
	}
	x = tp.LayerNorm(tp.Add(x, f), l.oln[0], l.oln[1], eps)
	if keep != nil {
		x = keep(x)
	}
	return x
}

// Pooling selects how a sequence's hidden states become one vector.
type Pooling int

const (
	// PoolCLS takes the first token's hidden state ([CLS]).
	PoolCLS Pooling = iota
	// PoolMean averages the hidden states of the tokens the mask keeps.
	PoolMean
)

// String names the pooling as ParsePooling reads it: "cls" or "mean".
func (p Pooling) String() string {
	if p == PoolMean {
		return "mean"
	}
	return "cls"
}

// ParsePooling reads a pooling's name: "cls" or "mean".
func ParsePooling(s string) (Pooling, error) {
	switch s {
	case "cls":
		return PoolCLS, nil
	case "mean":
		return PoolMean, nil
	}
	return 0, fmt.Errorf("pooling %q: want cls or mean", s)
}

// Pool reduces hidden states [B, T, hidden] to [B, hidden], and
// L2-normalises the result when normalize is set.
func Pool(tp *autograd.Tape, h *autograd.Var, mask *tensor.Tensor, p Pooling, normalize bool) *autograd.Var {
	var out *autograd.Var
	if p == PoolMean {
		out = tp.MeanPool(h, mask)
	} else {
		out = tp.CLSPool(h)
	}
	if normalize {
		out = tp.L2Normalize(out, 1e-12)
	}
	return out
}

// PoolPacked is Pool for the packed hidden states [N, hidden] that
// ForwardPacked returns, with the same offsets: [B, hidden].
func PoolPacked(tp *autograd.Tape, h *autograd.Var, offsets []int, p Pooling, normalize bool) *autograd.Var {
	var out *autograd.Var
	if p == PoolMean {
		out = tp.MeanPoolPacked(h, offsets)
	} else {
		out = tp.CLSPoolPacked(h, offsets)
	}
	if normalize {
		out = tp.L2Normalize(out, 1e-12)
	}
	return out
}
