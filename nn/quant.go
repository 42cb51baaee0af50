package nn

import (
	"errors"
	"fmt"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// Precision is the arithmetic of a Bert's Linear layers (the attention
// projections and the feed-forward block) at inference. Embeddings,
// LayerNorm, softmax and GELU stay float32 in every precision, and so do
// attention's products except under BF16, which rounds those of
// autograd.Tape.MultiHeadAttentionVarLen (the packed forward pass's) too.
type Precision int

const (
	// FP32 multiplies in float32.
	FP32 Precision = iota
	// Int8 multiplies int8 weights (per output channel) by activations
	// quantized per token row, in integers (kernels.Int8Linear).
	Int8
	// BF16 multiplies operands rounded to bfloat16 with float32 sums
	// (kernels.SgemmBF16) and float32 weights: the arithmetic rrra train
	// --precision bf16 trains with, at inference.
	BF16
)

// String returns the precision's name as flags spell it.
func (p Precision) String() string {
	switch p {
	case FP32:
		return "fp32"
	case Int8:
		return "int8"
	case BF16:
		return "bf16"
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// ParsePrecision reads a precision name: fp32, int8 or bf16.
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "fp32":
		return FP32, nil
	case "int8":
		return Int8, nil
	case "bf16":
		return BF16, nil
	}
	return 0, fmt.Errorf("precision %q: want fp32, int8 or bf16", s)
}

// QuantizationScheme is the value of QuantizationKey in the metadata of a
// quantized model's weights file. It names everything a reader needs to
// get the same numbers: weights symmetric per output channel in
// [−64, 64] (I8 tensors, each with a float32 "<name>_scale" of one scale
// per row), activations quantized per token row to unsigned bytes with a
// zero point at run time (kernels.QuantizeRow), int32 sums, and the
// epilogue of package kernels.
const QuantizationScheme = "rrra-int8-v1 (weights: per output channel, symmetric, [-64,64]; activations: per row, asymmetric, u8)"

// QuantizationKey is the weights file's metadata entry that marks a
// quantized model.
const QuantizationKey = "rrra_quantization"

// scaleSuffix names the per-row scales of a quantized weight: the scales
// of "encoder.layer.0.intermediate.dense.weight" are
// "encoder.layer.0.intermediate.dense.weight_scale".
const scaleSuffix = "_scale"

// ErrQuantizedTrain is wrapped by the error a forward pass records when it
// would record gradients through a quantized model.
var ErrQuantizedTrain = errors.New("the model holds int8 weights (a quantized folder) and cannot be trained; train the float32 model it was quantized from")

// int8Layer holds one layer's quantized Linear weights with their biases.
type int8Layer struct {
	qkv, ao, inter, out *kernels.Int8Weights
}

// Quantized reports whether the model holds int8 weights: it was loaded
// from a quantized folder, or Quantize or SetPrecision(Int8) ran.
func (m *Bert) Quantized() bool { return m.int8 != nil }

// Precision returns the precision the forward pass uses.
func (m *Bert) Precision() Precision { return m.prec }

// SetPrecision chooses the forward pass's arithmetic. Int8 quantizes the
// model first if it holds no int8 weights yet (see Quantize). FP32 on a
// quantized model computes in float32 with the dequantized weights
// (scale·value), which is what a quantized folder holds; so does BF16,
// whose products round those weights and the activations to bfloat16.
// A BF16 forward pass that records gradients needs a tape with
// autograd.Tape.SetBF16 on, so that backward runs in the same arithmetic.
func (m *Bert) SetPrecision(p Precision) error {
	switch p {
	case FP32, BF16:
	case Int8:
		if m.int8 == nil {
			if err := m.Quantize(); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("nn: precision %v is not supported", p)
	}
	m.prec = p
	return nil
}

// Quantize quantizes every Linear weight (kernels.QuantizeWeights) and
// replaces the float32 weights with their dequantized values, so that the
// model's float32 and int8 forward passes use the same weights and saving
// it writes a quantized folder. It does nothing to a model already
// quantized. A weight that is NaN or infinite is an error naming it.
func (m *Bert) Quantize() error {
	if m.int8 != nil {
		return nil
	}
	q := make([]int8Layer, len(m.layers))
	for i := range m.layers {
		l := &m.layers[i]
		for _, s := range []struct {
			dst  **kernels.Int8Weights
			w    [2]*autograd.Var
			name string
		}{
			{&q[i].qkv, l.qkv, "attention.self.{query,key,value}"},
			{&q[i].ao, l.ao, "attention.output.dense"},
			{&q[i].inter, l.inter, "intermediate.dense"},
			{&q[i].out, l.out, "output.dense"},
		} {
			ws := s.w[0].Value.Shape
			w, err := kernels.QuantizeWeights(s.w[0].Value.Data, ws.Dim(0), ws.Dim(1), s.w[1].Value.Data)
			if err != nil {
				return fmt.Errorf("nn: quantizing encoder.layer.%d.%s.weight: %w", i, s.name, err)
			}
			*s.dst = w
		}
	}
	for i := range m.layers {
		l := &m.layers[i]
		dequantize(l.qkv[0].Value.Data, q[i].qkv)
		dequantize(l.ao[0].Value.Data, q[i].ao)
		dequantize(l.inter[0].Value.Data, q[i].inter)
		dequantize(l.out[0].Value.Data, q[i].out)
	}
	m.int8 = q
	return nil
}

// dequantize writes w's weights as float32, scale·value, into dst (n×k).
func dequantize(dst []float32, w *kernels.Int8Weights) {
	v, s := w.Values()
	k := w.K()
	for j := range w.N() {
		for p := range k {
			dst[j*k+p] = s[j] * float32(v[j*k+p])
		}
	}
}

// quantizedWeights lists, for a layer, each quantized Linear weight's
// parameter name (query, key and value separately, as files store them)
// with its rows in the layer's int8 weights.
func quantizedWeights(c BertConfig, layer int, q int8Layer) []quantSlice {
	pre := fmt.Sprintf("encoder.layer.%d.", layer)
	h := c.HiddenSize
	return []quantSlice{
		{pre + "attention.self.query.weight", q.qkv, 0, h},
		{pre + "attention.self.key.weight", q.qkv, h, 2 * h},
		{pre + "attention.self.value.weight", q.qkv, 2 * h, 3 * h},
		{pre + "attention.output.dense.weight", q.ao, 0, q.ao.N()},
		{pre + "intermediate.dense.weight", q.inter, 0, q.inter.N()},
		{pre + "output.dense.weight", q.out, 0, q.out.N()},
	}
}

// quantSlice is rows [r0, r1) of a layer's int8 weights, stored as one
// parameter.
type quantSlice struct {
	name   string
	w      *kernels.Int8Weights
	r0, r1 int
}

// isQuantizable reports whether a parameter name is a weight that a
// quantized model stores as I8.
func isQuantizable(name string) bool {
	var l int
	var rest string
	if _, err := fmt.Sscanf(name, "encoder.layer.%d.%s", &l, &rest); err != nil {
		return false
	}
	switch rest {
	case "attention.self.query.weight", "attention.self.key.weight", "attention.self.value.weight",
		"attention.output.dense.weight", "intermediate.dense.weight", "output.dense.weight":
		return fmt.Sprintf("encoder.layer.%d.%s", l, rest) == name
	}
	return false
}

// quantizedNamed replaces, in the tensors to save, each quantized weight by
// its I8 values and adds its scales.
func (m *Bert) quantizedNamed(named []tensor.Named) []tensor.Named {
	byName := map[string]int{}
	for i, n := range named {
		byName[n.Name] = i
	}
	for l, q := range m.int8 {
		for _, s := range quantizedWeights(m.Config, l, q) {
			v, sc := s.w.Values()
			k := s.w.K()
			i := byName[s.name]
			shape := named[i].Tensor.Shape
			named[i] = tensor.Named{Name: s.name, Int8: &tensor.Int8Tensor{Shape: shape, Data: v[s.r0*k : s.r1*k]}}
			st := tensor.New(tensor.S(s.r1 - s.r0))
			copy(st.Data, sc[s.r0:s.r1])
			named = append(named, tensor.Named{Name: s.name + scaleSuffix, Tensor: st})
		}
	}
	return named
}

// loadInt8 builds the int8 weights of a model read from a quantized file
// (wpath) from the I8 values and scales by parameter name, the biases
// already loaded, and writes the dequantized weights into the float32
// parameters. The forward pass then uses int8.
func (m *Bert) loadInt8(vals map[string][]int8, scales map[string][]float32, wpath string) error {
	c := m.Config
	q := make([]int8Layer, len(m.layers))
	for i := range m.layers {
		l := &m.layers[i]
		pre := fmt.Sprintf("encoder.layer.%d.", i)
		h, ff := c.HiddenSize, c.IntermediateSize
		parts := []struct {
			dst    **kernels.Int8Weights
			names  []string
			n, k   int
			bias   []float32
			weight []float32
		}{
			{&q[i].qkv, []string{"attention.self.query.weight", "attention.self.key.weight", "attention.self.value.weight"}, 3 * h, h, l.qkv[1].Value.Data, l.qkv[0].Value.Data},
			{&q[i].ao, []string{"attention.output.dense.weight"}, h, h, l.ao[1].Value.Data, l.ao[0].Value.Data},
			{&q[i].inter, []string{"intermediate.dense.weight"}, ff, h, l.inter[1].Value.Data, l.inter[0].Value.Data},
			{&q[i].out, []string{"output.dense.weight"}, h, ff, l.out[1].Value.Data, l.out[0].Value.Data},
		}
		for _, p := range parts {
			var v []int8
			var s []float32
			for _, n := range p.names {
				name := pre + n
				sc, ok := scales[name]
				if !ok {
					return fmt.Errorf("nn: %s: tensor %q is missing (the scales of %q)", wpath, name+scaleSuffix, name)
				}
				rows := len(vals[name]) / p.k
				if len(sc) != rows {
					return fmt.Errorf("nn: %s: tensor %q has %d values; %q has %d rows", wpath, name+scaleSuffix, len(sc), name, rows)
				}
				v = append(v, vals[name]...)
				s = append(s, sc...)
			}
			w, err := kernels.NewInt8Weights(v, s, p.n, p.k, p.bias)
			if err != nil {
				return fmt.Errorf("nn: %s: layer %d, %v: %w", wpath, i, p.names, err)
			}
			*p.dst = w
			dequantize(p.weight, w)
		}
	}
	for name := range scales {
		if _, ok := vals[name]; !ok {
			return fmt.Errorf("nn: %s: tensor %q has no weight %q", wpath, name+scaleSuffix, name)
		}
	}
	m.int8, m.prec = q, Int8
	return nil
}
