package autograd

import (
	"math"
	"testing"

	"github.com/rrra/rrra/tensor"
)

// randT returns a tensor of the given shape with N(0, 1) values.
func randT(g *tensor.RNG, dims ...int) *tensor.Tensor {
	x := tensor.New(tensor.S(dims...))
	g.Normal(x, 0, 1)
	return x
}

// Float64 references, written as plainly as possible.

func refMatMul(a, b []float64, m, n, k int, tA, tB bool) []float64 {
	y := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av := a[i*k+p]
				if tA {
					av = a[p*m+i]
				}
				bv := b[p*n+j]
				if tB {
					bv = b[j*k+p]
				}
				s += av * bv
			}
			y[i*n+j] = s
		}
	}
	return y
}

func refSoftmaxRow(x, m []float64, log bool) []float64 {
	z := make([]float64, len(x))
	mx := math.Inf(-1)
	for j := range x {
		z[j] = x[j]
		if m != nil {
			z[j] += m[j]
		}
		mx = math.Max(mx, z[j])
	}
	var s float64
	for j := range z {
		s += math.Exp(z[j] - mx)
	}
	for j := range z {
		if log {
			z[j] = z[j] - mx - math.Log(s)
		} else {
			z[j] = math.Exp(z[j]-mx) / s
		}
	}
	return z
}

func mapRef(f func(float64) float64) func(in [][]float64) []float64 {
	return func(in [][]float64) []float64 {
		y := make([]float64, len(in[0]))
		for i, v := range in[0] {
			y[i] = f(v)
		}
		return y
	}
}

func broadcastRef(f func(a, b float64) float64) func(in [][]float64) []float64 {
	return func(in [][]float64) []float64 {
		a, b := in[0], in[1]
		y := make([]float64, len(a))
		for i := range a {
			y[i] = f(a[i], b[i%len(b)])
		}
		return y
	}
}

// The gradient checks below are one test per family of operations, each a
// table of GradChecks run under every kernel tier this CPU has (see
// runGradChecks). Each family draws its inputs from its own seeded RNG, so
// adding a case to one family leaves the others' inputs alone.

// runGradChecks runs every check under every kernel tier this CPU has, as
// subtests <tier>/<check name>.
func runGradChecks(t *testing.T, checks []GradCheck) {
	t.Helper()
	forEachTier(t, func(t *testing.T) {
		for _, c := range checks {
			t.Run(c.Name, func(t *testing.T) {
				c.Seed = 7
				if err := c.Run(); err != nil {
					t.Error(err)
				}
			})
		}
	})
}

// attentionMask is the additive [B, T] = [2, 5] key mask of the softmax and
// attention checks: batch 0 keeps 4 keys, batch 1 keeps 2.
func attentionMask() *tensor.Tensor {
	mask := tensor.New(tensor.S(2, 5))
	mask.Data = []float32{0, 0, 0, 0, -1e9, 0, 0, -1e9, -1e9, -1e9}
	return mask
}

// TestGradMatMul checks the products: MatMul and BatchedMatMul under every
// combination of transposes, MatMul of a 3-D input, and Linear.
func TestGradMatMul(t *testing.T) {
	g := tensor.NewRNG(42)
	var checks []GradCheck
	for _, tr := range []struct {
		name   string
		tA, tB bool
	}{{"NN", false, false}, {"NT", false, true}, {"TN", true, false}, {"TT", true, true}} {
		tA, tB := tr.tA, tr.tB
		m, n, k := 5, 7, 3
		ar, ac, br, bc := m, k, k, n
		if tA {
			ar, ac = k, m
		}
		if tB {
			br, bc = n, k
		}
		checks = append(checks, GradCheck{
			Name:   "MatMul " + tr.name,
			Inputs: []*tensor.Tensor{randT(g, ar, ac), randT(g, br, bc)},
			Build:  func(t *Tape, in []*Var) *Var { return t.MatMul(in[0], in[1], tA, tB) },
			Ref:    func(in [][]float64) []float64 { return refMatMul(in[0], in[1], m, n, k, tA, tB) },
		}, GradCheck{
			Name:   "BatchedMatMul " + tr.name,
			Inputs: []*tensor.Tensor{randT(g, 2, 3, ar, ac), randT(g, 2, 3, br, bc)},
			Build:  func(t *Tape, in []*Var) *Var { return t.BatchedMatMul(in[0], in[1], tA, tB) },
			Ref: func(in [][]float64) []float64 {
				var y []float64
				for s := 0; s < 6; s++ {
					y = append(y, refMatMul(in[0][s*m*k:(s+1)*m*k], in[1][s*k*n:(s+1)*k*n], m, n, k, tA, tB)...)
				}
				return y
			},
		})
	}
	checks = append(checks,
		GradCheck{
			Name:   "MatMul 3-D input",
			Inputs: []*tensor.Tensor{randT(g, 2, 3, 4), randT(g, 4, 5)},
			Build:  func(t *Tape, in []*Var) *Var { return t.MatMul(in[0], in[1], false, false) },
			Ref:    func(in [][]float64) []float64 { return refMatMul(in[0], in[1], 6, 5, 4, false, false) },
		},
		GradCheck{Name: "Linear", Inputs: []*tensor.Tensor{randT(g, 2, 3, 4), randT(g, 5, 4), randT(g, 5)},
			Build: func(t *Tape, in []*Var) *Var { return t.Linear(in[0], in[1], in[2]) },
			Ref: func(in [][]float64) []float64 {
				y := refMatMul(in[0], in[1], 6, 5, 4, false, true)
				for i := range y {
					y[i] += in[2][i%5]
				}
				return y
			}},
		GradCheck{Name: "Linear without bias", Inputs: []*tensor.Tensor{randT(g, 3, 4), randT(g, 2, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Linear(in[0], in[1], nil) },
			Ref:   func(in [][]float64) []float64 { return refMatMul(in[0], in[1], 3, 2, 4, false, true) }},
	)
	runGradChecks(t, checks)
}

// TestGradElementwise checks the element-wise binary operations, with equal
// shapes and with a row broadcast, and scaling.
func TestGradElementwise(t *testing.T) {
	g := tensor.NewRNG(43)
	runGradChecks(t, []GradCheck{
		{Name: "Add", Inputs: []*tensor.Tensor{randT(g, 3, 4), randT(g, 3, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Add(in[0], in[1]) },
			Ref:   broadcastRef(func(a, b float64) float64 { return a + b })},
		{Name: "Add row (bias)", Inputs: []*tensor.Tensor{randT(g, 2, 3, 4), randT(g, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Add(in[0], in[1]) },
			Ref:   broadcastRef(func(a, b float64) float64 { return a + b })},
		{Name: "Sub row", Inputs: []*tensor.Tensor{randT(g, 3, 4), randT(g, 1, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Sub(in[0], in[1]) },
			Ref:   broadcastRef(func(a, b float64) float64 { return a - b })},
		{Name: "Sub", Inputs: []*tensor.Tensor{randT(g, 3, 4), randT(g, 3, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Sub(in[0], in[1]) },
			Ref:   broadcastRef(func(a, b float64) float64 { return a - b })},
		{Name: "Mul", Inputs: []*tensor.Tensor{randT(g, 3, 4), randT(g, 3, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Mul(in[0], in[1]) },
			Ref:   broadcastRef(func(a, b float64) float64 { return a * b })},
		{Name: "Mul row", Inputs: []*tensor.Tensor{randT(g, 5, 3), randT(g, 3)},
			Build: func(t *Tape, in []*Var) *Var { return t.Mul(in[0], in[1]) },
			Ref:   broadcastRef(func(a, b float64) float64 { return a * b })},
		{Name: "Scale", Inputs: []*tensor.Tensor{randT(g, 3, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Scale(in[0], -0.75) },
			Ref:   mapRef(func(x float64) float64 { return -0.75 * x })},
	})
}

// TestGradActivations checks GELU, Tanh and ReLU.
func TestGradActivations(t *testing.T) {
	g := tensor.NewRNG(44)
	relu := randT(g, 4, 6)
	for i := range relu.Data { // keep away from the kink at 0
		if math.Abs(float64(relu.Data[i])) < 0.05 {
			relu.Data[i] = 0.3
		}
	}
	runGradChecks(t, []GradCheck{
		{Name: "GELU", Inputs: []*tensor.Tensor{randT(g, 4, 9)},
			Build: func(t *Tape, in []*Var) *Var { return t.GELU(in[0]) },
			Ref:   mapRef(func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) })},
		{Name: "Tanh", Inputs: []*tensor.Tensor{randT(g, 4, 9)},
			Build: func(t *Tape, in []*Var) *Var { return t.Tanh(in[0]) },
			Ref:   mapRef(math.Tanh)},
		{Name: "ReLU", Inputs: []*tensor.Tensor{relu},
			Build: func(t *Tape, in []*Var) *Var { return t.ReLU(in[0]) },
			Ref:   mapRef(func(x float64) float64 { return math.Max(x, 0) })},
	})
}

// TestGradSoftmax checks Softmax and LogSoftmax, unmasked and with a [B, T]
// key mask shared by the groups of rows of a 4-D input.
func TestGradSoftmax(t *testing.T) {
	g := tensor.NewRNG(45)
	var checks []GradCheck
	for _, log := range []bool{false, true} {
		name, kind := "Softmax", (*Tape).Softmax
		mask := attentionMask()
		if log {
			// Masked log-probabilities are about the mask value; −1e9 would
			// swamp float64 finite differences, so mask with −20 here.
			name, kind = "LogSoftmax", (*Tape).LogSoftmax
			mask.Data = []float32{0, 0, 0, 0, -20, 0, 0, -20, -20, -20}
		}
		checks = append(checks,
			GradCheck{Name: name, Inputs: []*tensor.Tensor{randT(g, 3, 6)},
				Build: func(t *Tape, in []*Var) *Var { return kind(t, in[0], nil) },
				Ref: func(in [][]float64) []float64 {
					var y []float64
					for r := 0; r < 3; r++ {
						y = append(y, refSoftmaxRow(in[0][r*6:(r+1)*6], nil, log)...)
					}
					return y
				}},
			GradCheck{Name: name + " grouped mask", Inputs: []*tensor.Tensor{randT(g, 2, 3, 4, 5)},
				Build: func(t *Tape, in []*Var) *Var { return kind(t, in[0], mask) },
				Ref: func(in [][]float64) []float64 {
					var y []float64
					for r := 0; r < 24; r++ {
						b := r / 12
						m := []float64{}
						for _, v := range mask.Data[b*5 : b*5+5] {
							m = append(m, float64(v))
						}
						y = append(y, refSoftmaxRow(in[0][r*5:(r+1)*5], m, log)...)
					}
					return y
				},
				FwdTol: 1e-5, GradTol: 1e-4},
		)
	}
	runGradChecks(t, checks)
}

// TestGradNormalization checks LayerNorm and L2Normalize.
func TestGradNormalization(t *testing.T) {
	g := tensor.NewRNG(46)
	runGradChecks(t, []GradCheck{
		{Name: "LayerNorm", Inputs: []*tensor.Tensor{randT(g, 2, 3, 8), randT(g, 8), randT(g, 8)},
			Build: func(t *Tape, in []*Var) *Var { return t.LayerNorm(in[0], in[1], in[2], 1e-5) },
			Ref: func(in [][]float64) []float64 {
				x, gm, bt := in[0], in[1], in[2]
				y := make([]float64, len(x))
				for r := 0; r < 6; r++ {
					row := x[r*8 : (r+1)*8]
					var mu, v float64
					for _, e := range row {
						mu += e / 8
					}
					for _, e := range row {
						v += (e - mu) * (e - mu) / 8
					}
					for j, e := range row {
						y[r*8+j] = (e-mu)/math.Sqrt(v+1e-5)*gm[j] + bt[j]
					}
				}
				return y
			}},
		{Name: "L2Normalize", Inputs: []*tensor.Tensor{randT(g, 4, 5)},
			Build: func(t *Tape, in []*Var) *Var { return t.L2Normalize(in[0], 1e-12) },
			Ref: func(in [][]float64) []float64 {
				y := make([]float64, 20)
				for r := 0; r < 4; r++ {
					var s float64
					for _, v := range in[0][r*5 : r*5+5] {
						s += v * v
					}
					for j := 0; j < 5; j++ {
						y[r*5+j] = in[0][r*5+j] / math.Sqrt(s)
					}
				}
				return y
			}},
	})
}

// TestGradEmbedding checks the embedding lookup, with a row looked up more
// than once.
func TestGradEmbedding(t *testing.T) {
	g := tensor.NewRNG(47)
	ids := []int32{3, 0, 3, 5, 1, 1}
	runGradChecks(t, []GradCheck{
		{Name: "Embedding", Inputs: []*tensor.Tensor{randT(g, 6, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Embedding(in[0], ids) },
			Ref: func(in [][]float64) []float64 {
				var y []float64
				for _, id := range ids {
					y = append(y, in[0][int(id)*4:int(id)*4+4]...)
				}
				return y
			}},
	})
}

// TestGradReshape checks the operations that only move values: Reshape,
// SplitHeads, MergeHeads and Concat.
func TestGradReshape(t *testing.T) {
	g := tensor.NewRNG(48)
	runGradChecks(t, []GradCheck{
		{Name: "Reshape", Inputs: []*tensor.Tensor{randT(g, 2, 6)},
			Build: func(t *Tape, in []*Var) *Var {
				return t.Mul(t.Reshape(in[0], tensor.S(3, 4)), t.Reshape(in[0], tensor.S(3, 4)))
			},
			Ref: mapRef(func(x float64) float64 { return x * x })},
		{Name: "SplitHeads", Inputs: []*tensor.Tensor{randT(g, 2, 3, 6)},
			Build: func(t *Tape, in []*Var) *Var { return t.SplitHeads(in[0], 2) },
			Ref: func(in [][]float64) []float64 {
				y := make([]float64, 36)
				for b := 0; b < 2; b++ {
					for h := 0; h < 2; h++ {
						for tt := 0; tt < 3; tt++ {
							for d := 0; d < 3; d++ {
								y[((b*2+h)*3+tt)*3+d] = in[0][(b*3+tt)*6+h*3+d]
							}
						}
					}
				}
				return y
			}},
		{Name: "MergeHeads", Inputs: []*tensor.Tensor{randT(g, 2, 2, 3, 3)},
			Build: func(t *Tape, in []*Var) *Var { return t.MergeHeads(in[0]) },
			Ref: func(in [][]float64) []float64 {
				y := make([]float64, 36)
				for b := 0; b < 2; b++ {
					for h := 0; h < 2; h++ {
						for tt := 0; tt < 3; tt++ {
							for d := 0; d < 3; d++ {
								y[(b*3+tt)*6+h*3+d] = in[0][((b*2+h)*3+tt)*3+d]
							}
						}
					}
				}
				return y
			}},
		{Name: "Concat", Inputs: []*tensor.Tensor{randT(g, 2, 3, 2), randT(g, 2, 3, 4), randT(g, 2, 3, 1)},
			Build: func(t *Tape, in []*Var) *Var { return t.Concat(in[0], in[1], in[2]) },
			Ref: func(in [][]float64) []float64 {
				var y []float64
				for r := 0; r < 6; r++ {
					y = append(y, in[0][r*2:r*2+2]...)
					y = append(y, in[1][r*4:r*4+4]...)
					y = append(y, in[2][r:r+1]...)
				}
				return y
			}},
	})
}

// TestGradPooling checks weighted mean pooling over tokens and CLS pooling.
func TestGradPooling(t *testing.T) {
	g := tensor.NewRNG(49)
	pool := tensor.New(tensor.S(2, 5)) // [B, T] weights
	pool.Data = []float32{1, 1, 1, 0, 0, 1, 0, 1, 1, 1}
	runGradChecks(t, []GradCheck{
		{Name: "MeanPool", Inputs: []*tensor.Tensor{randT(g, 2, 5, 3)},
			Build: func(t *Tape, in []*Var) *Var { return t.MeanPool(in[0], pool) },
			Ref: func(in [][]float64) []float64 {
				y := make([]float64, 6)
				for b := 0; b < 2; b++ {
					var s float64
					for tt := 0; tt < 5; tt++ {
						s += float64(pool.Data[b*5+tt])
					}
					for tt := 0; tt < 5; tt++ {
						for c := 0; c < 3; c++ {
							y[b*3+c] += float64(pool.Data[b*5+tt]) * in[0][(b*5+tt)*3+c] / s
						}
					}
				}
				return y
			}},
		{Name: "CLSPool", Inputs: []*tensor.Tensor{randT(g, 2, 5, 3)},
			Build: func(t *Tape, in []*Var) *Var { return t.CLSPool(in[0]) },
			Ref: func(in [][]float64) []float64 {
				return append(append([]float64{}, in[0][0:3]...), in[0][15:18]...)
			}},
	})
}

// TestGradLosses checks the losses and the reductions to a scalar:
// CrossEntropy, weighted BCEWithLogits (soft label, zero weight), Sum and
// Mean.
func TestGradLosses(t *testing.T) {
	g := tensor.NewRNG(50)
	targets := []int32{2, 0, 4}
	yBCE := tensor.New(tensor.S(7))
	yBCE.Data = []float32{1, 0, 1, 1, 0, 0, 0.5}
	wBCE := tensor.New(tensor.S(7))
	wBCE.Data = []float32{1, 2, 0.5, 1, 3, 1, 0}
	runGradChecks(t, []GradCheck{
		{Name: "CrossEntropy", Inputs: []*tensor.Tensor{randT(g, 3, 5)},
			Build: func(t *Tape, in []*Var) *Var { return t.CrossEntropy(in[0], targets) },
			Ref: func(in [][]float64) []float64 {
				var l float64
				for i, y := range targets {
					l -= refSoftmaxRow(in[0][i*5:(i+1)*5], nil, true)[y]
				}
				return []float64{l / 3}
			}},
		{Name: "BCEWithLogits weighted", Inputs: []*tensor.Tensor{randT(g, 7)},
			Build: func(t *Tape, in []*Var) *Var { return t.BCEWithLogits(in[0], yBCE, wBCE) },
			Ref: func(in [][]float64) []float64 {
				var l float64
				for i, x := range in[0] {
					p := 1 / (1 + math.Exp(-x))
					y, w := float64(yBCE.Data[i]), float64(wBCE.Data[i])
					l -= w * (y*math.Log(p) + (1-y)*math.Log(1-p))
				}
				return []float64{l / 7}
			}},
		{Name: "Sum", Inputs: []*tensor.Tensor{randT(g, 3, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Sum(in[0]) },
			Ref: func(in [][]float64) []float64 {
				var s float64
				for _, v := range in[0] {
					s += v
				}
				return []float64{s}
			}},
		{Name: "Mean", Inputs: []*tensor.Tensor{randT(g, 3, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Mean(in[0]) },
			Ref: func(in [][]float64) []float64 {
				var s float64
				for _, v := range in[0] {
					s += v
				}
				return []float64{s / 12}
			}},
	})
}

// TestGradAttention checks scaled dot-product attention (masked and not)
// and multi-head attention with separate and packed q, k, v.
func TestGradAttention(t *testing.T) {
	g := tensor.NewRNG(51)
	mask := attentionMask()
	runGradChecks(t, []GradCheck{
		{Name: "Attention masked", Inputs: []*tensor.Tensor{randT(g, 2, 2, 3, 4), randT(g, 2, 2, 5, 4), randT(g, 2, 2, 5, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Attention(in[0], in[1], in[2], mask, 0.5) },
			Ref:   func(in [][]float64) []float64 { return refAttention(in[0], in[1], in[2], mask, 2, 2, 3, 5, 4, 0.5) }},
		{Name: "MultiHeadAttention masked", Inputs: []*tensor.Tensor{randT(g, 2, 3, 8), randT(g, 2, 5, 8), randT(g, 2, 5, 8)},
			Build: func(t *Tape, in []*Var) *Var { return t.MultiHeadAttention(in[0], in[1], in[2], 2, mask, 0.5, 0) },
			Ref: func(in [][]float64) []float64 {
				// Split heads, attend, merge: [B, T, H·D] ↔ [B, H, T, D].
				split := func(x []float64, tt int) []float64 {
					y := make([]float64, len(x))
					for b := 0; b < 2; b++ {
						for h := 0; h < 2; h++ {
							for i := 0; i < tt; i++ {
								for e := 0; e < 4; e++ {
									y[((b*2+h)*tt+i)*4+e] = x[(b*tt+i)*8+h*4+e]
								}
							}
						}
					}
					return y
				}
				o := refAttention(split(in[0], 3), split(in[1], 5), split(in[2], 5), mask, 2, 2, 3, 5, 4, 0.5)
				y := make([]float64, len(o))
				for b := 0; b < 2; b++ {
					for h := 0; h < 2; h++ {
						for i := 0; i < 3; i++ {
							for e := 0; e < 4; e++ {
								y[(b*3+i)*8+h*4+e] = o[((b*2+h)*3+i)*4+e]
							}
						}
					}
				}
				return y
			}},
		{Name: "MultiHeadAttentionPacked", Inputs: []*tensor.Tensor{randT(g, 2, 5, 24)},
			Build: func(t *Tape, in []*Var) *Var { return t.MultiHeadAttentionPacked(in[0], 2, mask, 0.5, 0) },
			Ref: func(in [][]float64) []float64 {
				// Unpack the columns into q, k, v [2, 5, 8] and attend.
				part := func(j int) []float64 {
					y := make([]float64, 2*5*8)
					for r := 0; r < 10; r++ {
						copy(y[r*8:r*8+8], in[0][r*24+j*8:r*24+j*8+8])
					}
					return y
				}
				split := func(x []float64) []float64 {
					y := make([]float64, len(x))
					for b := 0; b < 2; b++ {
						for h := 0; h < 2; h++ {
							for i := 0; i < 5; i++ {
								for e := 0; e < 4; e++ {
									y[((b*2+h)*5+i)*4+e] = x[(b*5+i)*8+h*4+e]
								}
							}
						}
					}
					return y
				}
				o := refAttention(split(part(0)), split(part(1)), split(part(2)), mask, 2, 2, 5, 5, 4, 0.5)
				y := make([]float64, len(o))
				for b := 0; b < 2; b++ {
					for h := 0; h < 2; h++ {
						for i := 0; i < 5; i++ {
							for e := 0; e < 4; e++ {
								y[(b*5+i)*8+h*4+e] = o[((b*2+h)*5+i)*4+e]
							}
						}
					}
				}
				return y
			}},
		{Name: "Attention unmasked", Inputs: []*tensor.Tensor{randT(g, 1, 3, 4, 2), randT(g, 1, 3, 4, 2), randT(g, 1, 3, 4, 2)},
			Build: func(t *Tape, in []*Var) *Var { return t.Attention(in[0], in[1], in[2], nil, 0.7) },
			Ref:   func(in [][]float64) []float64 { return refAttention(in[0], in[1], in[2], nil, 1, 3, 4, 4, 2, 0.7) }},
	})
}

// TestGradSharedInputs checks inputs used more than once: gradients from
// several consumers must add up, whichever consumer's backward runs first
// (fresh buffers are written, later contributions added); and a constant
// input gets no gradient.
func TestGradSharedInputs(t *testing.T) {
	g := tensor.NewRNG(52)
	runGradChecks(t, []GradCheck{
		{Name: "shared: x + gelu(x)", Inputs: []*tensor.Tensor{randT(g, 3, 8)},
			Build: func(t *Tape, in []*Var) *Var { return t.Add(in[0], t.GELU(in[0])) },
			Ref:   mapRef(func(x float64) float64 { return x + 0.5*x*(1+math.Erf(x/math.Sqrt2)) })},
		{Name: "shared: gelu(x) + x", Inputs: []*tensor.Tensor{randT(g, 3, 8)},
			Build: func(t *Tape, in []*Var) *Var { return t.Add(t.GELU(in[0]), in[0]) },
			Ref:   mapRef(func(x float64) float64 { return x + 0.5*x*(1+math.Erf(x/math.Sqrt2)) })},
		{Name: "shared: x + x", Inputs: []*tensor.Tensor{randT(g, 3, 4)},
			Build: func(t *Tape, in []*Var) *Var { return t.Add(in[0], in[0]) },
			Ref:   mapRef(func(x float64) float64 { return 2 * x })},
		{Name: "shared: residual chain", Inputs: []*tensor.Tensor{randT(g, 2, 4, 6), randT(g, 6, 6)},
			Build: func(t *Tape, in []*Var) *Var {
				h := t.Add(in[0], t.MatMul(in[0], in[1], false, false))
				h = t.Add(h, t.Tanh(h))
				return t.MergeHeads(t.SplitHeads(t.Add(h, in[0]), 2))
			},
			Ref: func(in [][]float64) []float64 {
				x, w := in[0], in[1]
				y := refMatMul(x, w, 8, 6, 6, false, false)
				for i := range y {
					h := x[i] + y[i]
					h += math.Tanh(h)
					y[i] = h + x[i]
				}
				return y
			}},
		{Name: "constant input gets no gradient", Inputs: []*tensor.Tensor{randT(g, 3, 4), randT(g, 4)},
			NoGrad: []bool{false, true},
			Build:  func(t *Tape, in []*Var) *Var { return t.Mul(in[0], in[1]) },
			Ref:    broadcastRef(func(a, b float64) float64 { return a * b })},
	})
}

func refAttention(q, k, v []float64, mask *tensor.Tensor, b, h, tq, tk, d int, scale float64) []float64 {
	y := make([]float64, b*h*tq*d)
	for bi := 0; bi < b; bi++ {
		var m []float64
		if mask != nil {
			for _, x := range mask.Data[bi*tk : (bi+1)*tk] {
				m = append(m, float64(x))
			}
		}
		for hi := 0; hi < h; hi++ {
			s := (bi*h + hi)
			for i := 0; i < tq; i++ {
				sc := make([]float64, tk)
				for j := 0; j < tk; j++ {
					for e := 0; e < d; e++ {
						sc[j] += q[(s*tq+i)*d+e] * k[(s*tk+j)*d+e] * scale
					}
				}
				p := refSoftmaxRow(sc, m, false)
				for j := 0; j < tk; j++ {
					for e := 0; e < d; e++ {
						y[(s*tq+i)*d+e] += p[j] * v[(s*tk+j)*d+e]
					}
				}
			}
		}
	}
	return y
}

// TestMultiHeadAttentionDropout checks the gradients through attention
// dropout: the mask drawn by the tape (same seed, same draws) is captured
// from a first run and applied in the float64 reference.
func TestMultiHeadAttentionDropout(t *testing.T) {
	g := tensor.NewRNG(8)
	q, k, v := randT(g, 2, 3, 8), randT(g, 2, 5, 8), randT(g, 2, 5, 8)
	mask := tensor.New(tensor.S(2, 5))
	mask.Data = []float32{0, 0, 0, 0, -1e9, 0, 0, -1e9, -1e9, -1e9}
	const seed, p = 11, 0.3
	first := NewTape(seed)
	first.MultiHeadAttention(first.Const(q), first.Const(k), first.Const(v), 2, mask, 0.5, p)
	m := append([]float32(nil), first.ops[len(first.ops)-1].buf[2]...)
	if len(m) != 2*2*3*5 {
		t.Fatalf("dropout mask of %d values", len(m))
	}
	zeros := 0
	for _, x := range m {
		switch x {
		case 0:
			zeros++
		case 1 / (1 - float32(p)):
		default:
			t.Fatalf("mask value %v", x)
		}
	}
	if zeros == 0 || zeros == len(m) {
		t.Fatalf("%d of %d dropped", zeros, len(m))
	}
	c := GradCheck{
		Name: "MultiHeadAttention dropout", Seed: seed,
		Inputs: []*tensor.Tensor{q, k, v},
		Build:  func(t *Tape, in []*Var) *Var { return t.MultiHeadAttention(in[0], in[1], in[2], 2, mask, 0.5, p) },
		Ref: func(in [][]float64) []float64 {
			y := make([]float64, 2*3*8)
			for b := 0; b < 2; b++ {
				var mk []float64
				for _, x := range mask.Data[b*5 : b*5+5] {
					mk = append(mk, float64(x))
				}
				for h := 0; h < 2; h++ {
					for i := 0; i < 3; i++ {
						sc := make([]float64, 5)
						for j := 0; j < 5; j++ {
							for e := 0; e < 4; e++ {
								sc[j] += in[0][(b*3+i)*8+h*4+e] * in[1][(b*5+j)*8+h*4+e] * 0.5
							}
						}
						pr := refSoftmaxRow(sc, mk, false)
						for j := 0; j < 5; j++ {
							w := pr[j] * float64(m[((b*2+h)*3+i)*5+j])
							for e := 0; e < 4; e++ {
								y[(b*3+i)*8+h*4+e] += w * in[2][(b*5+j)*8+h*4+e]
							}
						}
					}
				}
			}
			return y
		},
	}
	if err := c.Run(); err != nil {
		t.Error(err)
	}
	eval := NewTape(seed)
	eval.SetTraining(false)
	out := eval.MultiHeadAttention(eval.Const(q), eval.Const(k), eval.Const(v), 2, mask, 0.5, p)
	ref := NewTape(seed)
	noDrop := ref.MultiHeadAttention(ref.Const(q), ref.Const(k), ref.Const(v), 2, mask, 0.5, 0)
	for i := range out.Data() {
		if out.Data()[i] != noDrop.Data()[i] {
			t.Fatal("attention dropout active in evaluation mode")
		}
	}
}
