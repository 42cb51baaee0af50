package kernels

import (
	"fmt"
	"math"
)

// Integer products for int8 inference.
//
// The scheme is unsigned-8 activations times signed-8 weights, summed in
// int32, as x86's VPDPBUSD (AVX512-VNNI, AVX-VNNI) and VPMADDUBSW (AVX2)
// compute them:
//
//   - activations are quantized per row, asymmetrically: x ≈ sa·(q − za)
//     with q in [0, 255] and the row's zero point za in [0, 255] (the range
//     always holds 0, so 0 is exact);
//   - weights are quantized per output channel, symmetrically: w ≈ sw·v
//     with v in [−64, 64] (WeightQMax).
//
// Unsigned times signed is what the instructions multiply; a symmetric
// activation scheme would need a bias of 128 added to every activation and
// the same correction as the zero point, so nothing is gained by it.
//
// Why weights take 7 bits and not 8: without VNNI, VPMADDUBSW adds each two
// adjacent u8×s8 products into an int16 with saturation. With activations in
// [0, 255] and weights in [−64, 64] a pair sums to at most 2·255·64 = 32640
// in absolute value, below 32767, so it never saturates: the avx2 tier's
// sums are exact by construction, and every tier gives the same int32
// results bit for bit (the same embeddings on every machine). The other way
// to get that bound, 7-bit activations (PyTorch's reduce_range), costs more:
// activations in transformers carry outliers that already stretch a row's
// 8-bit grid, while a weight row's grid is set by its own largest weight
// (ONNX Runtime makes the same choice for its u8s8 AVX2 path). The VNNI
// instructions would take full 8-bit weights, but a folder quantized with
// them could not be run exactly on an AVX2-only CPU.
//
// The products go through the same dequantizing epilogue on every tier,
// written so that no step can be fused or reordered:
//
//	t := acc − za[i]·colSum[j]           // int32, exact
//	y := float32(t) · float32(sa[i]·sw[j]) // two float32 products, each rounded
//	out[i][j] = y + bias[j]              // one float32 sum
//
// where colSum[j] = Σ_p v[j][p] folds the zero point out of the sum.

// WeightQMax is the largest magnitude of a quantized weight: weights are
// integers in [−WeightQMax, WeightQMax] (see the scheme above).
const WeightQMax = 64

// maxInt8Depth bounds k so that no int32 sum can overflow: 255·64 per
// product, 65536 products, is below 2³¹.
const maxInt8Depth = 1 << 16

// EnvInt8Tier is the environment variable that forces the integer-product
// tier at start-up, e.g. RRRA_KERNELS_INT8=avx2. When it is unset and
// RRRA_KERNELS=generic, the integer products use the generic tier too (no
// assembly anywhere). An unknown or unsupported name is reported on stderr
// and the default choice kept.
const EnvInt8Tier = "RRRA_KERNELS_INT8"

// int8Tier is one implementation of the integer products.
type int8Tier struct {
	name      string
	supported bool
	reason    string
	mr, nr    int // register block: mr rows by nr columns (a multiple of 16)
	// micro computes one mr×nr tile; see int8MicroGeneric for its contract.
	micro func(kg int, a []uint8, b []int8, bstride int, ep *int8Epilogue)
	// minMax and quant are minMaxGo and quantGo, bit for bit.
	minMax func(x []float32) (lo, hi float32)
	quant  func(dst []uint8, stride int, x []float32, inv float32, zero int32)
	// step, when set, packs A in steps of step depth bytes (row i of step
	// s of a panel at s·mr·step + i·step) rather than in groups of 4, and
	// the tier runs only weights whose padded depth is a multiple of
	// step; others go to fallback, the next tier this CPU supports (every
	// tier's results are the same, so only speed changes).
	step     int
	fallback *int8Tier
}

// int8Epilogue is where and how a micro-kernel writes its tile. When sa is
// nil the raw int32 sums go to ci; otherwise the dequantized float32 values
// go to cf. Every slice is long enough for a whole mr×nr tile.
type int8Epilogue struct {
	ci     []int32
	cf     []float32
	ldc    int
	za     []int32   // mr row zero points
	sa     []float32 // mr row scales
	colSum []int32   // nr column sums of the weights (always set: callInt8 needs them)
	sw     []float32 // nr column scales
	bias   []float32 // nr biases
}

// int8Reg holds the integer-product tiers and the one in use.
var int8Reg = registry[int8Tier, *int8Tier]{kind: "integer tier"}

func init() {
	all := append(asmInt8Tiers(), &int8Tier{name: "generic", supported: true, mr: 4, nr: 16,
		micro: int8MicroGeneric, minMax: minMaxGo, quant: quantGo})
	for i, t := range all {
		if t.step == 0 {
			continue
		}
		for _, f := range all[i+1:] {
			if f.supported && f.step == 0 {
				t.fallback = f
				break
			}
		}
	}
	int8Reg.start(all, int8Reg.best(all), EnvInt8Tier, EnvTier)
}

// Int8Tiers returns the names of the integer-product tiers compiled into
// this binary, best first, whether or not this CPU supports them.
func Int8Tiers() []string { return int8Reg.names() }

// Int8Supported reports whether this CPU can run the named integer-product
// tier, and if not, why.
func Int8Supported(name string) (ok bool, reason string) { return int8Reg.supported(name) }

// SelectedInt8 returns the name of the integer-product tier in use.
func SelectedInt8() string { return int8Reg.selected() }

// UseInt8 switches the integer products to the named tier and returns a
// function that restores the previous one; ok is false, and nothing
// changes, when the tier does not exist or this CPU cannot run it. Like
// Use, it is meant for tests and benchmarks.
func UseInt8(name string) (restore func(), ok bool) { return int8Reg.use(name) }

// Int8Weights is an n×k weight matrix (n output channels, k inputs, as a
// Linear layer stores it) quantized per output channel and packed for the
// integer kernels of every tier. It is immutable and safe for concurrent
// use.
//
// The packed layout is the same on every tier: the columns of the product
// (the weight rows) in panels of 16, the depth in groups of 4, so that one
// group of one panel is 64 contiguous bytes: 16 columns × 4 depth steps,
// data[panel·16·kp + g·64 + j·4 + q] = v[16·panel+j][4g+q]. k is padded to a
// multiple of 4 (kp) and n to a multiple of 32 (np) with zeros.
type Int8Weights struct {
	n, k, kp, np int
	data         []int8
	colSum       []int32   // np: Σ_p v[j][p]
	scale        []float32 // np: sw[j] (0 in the padding)
	bias         []float32 // np: bias[j] (0 when there is none, and in the padding)
}

// N returns the number of output channels (rows of the weight matrix).
func (w *Int8Weights) N() int { return w.n }

// K returns the number of inputs (columns of the weight matrix).
func (w *Int8Weights) K() int { return w.k }

// Values returns the quantized weights, n×k row-major (unpacked into a new
// slice), and the per-channel scales (Scales): weight[j][p] ≈
// scale[j]·values[j·k+p].
func (w *Int8Weights) Values() (values []int8, scale []float32) {
	values = make([]int8, w.n*w.k)
	for j := range w.n {
		panel := w.data[(j/16)*16*w.kp:]
		for p := range w.k {
			values[j*w.k+p] = panel[(p/4)*64+(j%16)*4+p%4]
		}
	}
	return values, w.Scales()
}

// Scales returns the per-channel scales. The slice is shared; callers must
// not change it.
func (w *Int8Weights) Scales() []float32 { return w.scale[:w.n] }

// Bias returns the bias added by Int8Linear, nil if there is none. The
// slice is shared; callers must not change it.
func (w *Int8Weights) Bias() []float32 {
	for _, b := range w.bias[:w.n] {
		if b != 0 {
			return w.bias[:w.n]
		}
	}
	return nil
}

// QuantizeWeights quantizes an n×k float32 weight matrix (row j holds output
// channel j) per output channel: sw[j] = max_p |w[j][p]| / WeightQMax and
// v = round-half-even(w / sw[j]) (a row of zeros gets scale 1 and all-zero
// values). bias, if not nil, has n entries and is added by Int8Linear. It
// returns an error for a shape that does not fit the slices, a depth above
// 65536, or a weight that is NaN or infinite.
func QuantizeWeights(w []float32, n, k int, bias []float32) (*Int8Weights, error) {
	if n <= 0 || k <= 0 {
		return nil, fmt.Errorf("kernels: quantize weights: shape %d×%d: both sides must be positive", n, k)
	}
	if len(w) != n*k {
		return nil, fmt.Errorf("kernels: quantize weights: %d values for a %d×%d matrix", len(w), n, k)
	}
	q := make([]int8, n*k)
	scale := make([]float32, n)
	for j := range n {
		row := w[j*k : (j+1)*k]
		var amax float32
		for p, x := range row {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("kernels: quantize weights: row %d, column %d is %v", j, p, x)
			}
			amax = max(amax, float32(math.Abs(float64(x))))
		}
		if amax == 0 {
			scale[j] = 1
			continue
		}
		s := amax / WeightQMax
		scale[j] = s
		inv := 1 / s
		for p, x := range row {
			v := math.RoundToEven(float64(float32(x * inv)))
			q[j*k+p] = int8(max(-WeightQMax, min(WeightQMax, v)))
		}
	}
	return NewInt8Weights(q, scale, n, k, bias)
}

// NewInt8Weights packs already quantized weights: values is n×k row-major,
// each in [−WeightQMax, WeightQMax]; scale has n positive finite entries;
// bias is nil or has n finite entries. The slices are copied. It returns an
// error naming the first value out of its domain.
func NewInt8Weights(values []int8, scale []float32, n, k int, bias []float32) (*Int8Weights, error) {
	switch {
	case n <= 0 || k <= 0:
		return nil, fmt.Errorf("kernels: int8 weights: shape %d×%d: both sides must be positive", n, k)
	case k > maxInt8Depth:
		return nil, fmt.Errorf("kernels: int8 weights: depth %d above %d, where int32 sums could overflow", k, maxInt8Depth)
	case len(values) != n*k:
		return nil, fmt.Errorf("kernels: int8 weights: %d values for a %d×%d matrix", len(values), n, k)
	case len(scale) != n:
		return nil, fmt.Errorf("kernels: int8 weights: %d scales for %d output channels", len(scale), n)
	case bias != nil && len(bias) != n:
		return nil, fmt.Errorf("kernels: int8 weights: %d biases for %d output channels", len(bias), n)
	}
	for i, v := range values {
		if v < -WeightQMax || v > WeightQMax {
			return nil, fmt.Errorf("kernels: int8 weights: row %d, column %d is %d, outside [%d, %d]", i/k, i%k, v, -WeightQMax, WeightQMax)
		}
	}
	for j, s := range scale {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, fmt.Errorf("kernels: int8 weights: scale %d is %v, not a positive finite number", j, s)
		}
	}
	for j, b := range bias {
		if math.IsNaN(float64(b)) || math.IsInf(float64(b), 0) {
			return nil, fmt.Errorf("kernels: int8 weights: bias %d is %v", j, b)
		}
	}
	kp := (k + 3) &^ 3
	np := (n + 31) &^ 31
	w := &Int8Weights{
		n: n, k: k, kp: kp, np: np,
		data:   make([]int8, np*kp),
		colSum: make([]int32, np),
		scale:  make([]float32, np),
		bias:   make([]float32, np),
	}
	copy(w.scale, scale)
	copy(w.bias, bias)
	for j := range n {
		panel := w.data[(j/16)*16*kp:]
		var s int32
		for p := range k {
			v := values[j*k+p]
			s += int32(v)
			panel[(p/4)*64+(j%16)*4+p%4] = v
		}
		w.colSum[j] = s
	}
	return w, nil
}

// QuantizeRow quantizes one activation row as Int8Linear does: it writes
// q[p] in [0, 255] with x[p] ≈ scale·(q[p] − zero) and returns the scale and
// zero point. The grid spans [min(x, 0), max(x, 0)] in 255 steps; a row of
// zeros, or of values all within 1e-35 of zero, gets scale 1, zero point 0
// and all-zero codes. q must be as long as x. NaN or
// infinite inputs give unspecified values (Int8Linear's callers check their
// inputs where it matters).
func QuantizeRow(q []uint8, x []float32) (scale float32, zero int32) {
	_ = q[len(x)-1]
	t := int8Reg.load()
	scale, inv, zero := rowGrid(t, x)
	t.quant(q, 4, x, inv, zero)
	return scale, zero
}

// minRowRange is the narrowest [min(x, 0), max(x, 0)] given a grid of its
// own: below it 255/(hi − lo) would overflow float32 (at about 7.5e-37), so
// such a row, zero to within 1e-35, is quantized as zeros.
const minRowRange = 1e-35

// rowGrid returns a row's quantization grid: its step, the step's inverse
// and the zero point.
func rowGrid(t *int8Tier, x []float32) (scale, inv float32, zero int32) {
	lo, hi := t.minMax(x)
	if !(hi-lo >= minRowRange) { // also a NaN range
		return 1, 0, 0
	}
	scale = (hi - lo) / 255
	inv = 255 / (hi - lo)
	zero = int32(max(0, min(255, math.RoundToEven(float64(float32(-lo*inv))))))
	return scale, inv, zero
}

// minMaxGo returns min(0, x...) and max(0, x...).
func minMaxGo(x []float32) (lo, hi float32) {
	for _, v := range x {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	return lo, hi
}

// quantGo writes dst[(p/4)·stride + p%4] = clamp(roundEven(x[p]·inv) + zero,
// 0, 255) for p < len(x), the product rounded to float32 first. stride 4
// writes a contiguous row.
func quantGo(dst []uint8, stride int, x []float32, inv float32, zero int32) {
	if len(x) == 0 {
		return
	}
	_ = dst[((len(x)-1)/4)*stride+(len(x)-1)%4]
	for p, v := range x {
		r := math.RoundToEven(float64(float32(v * inv)))
		dst[(p/4)*stride+p%4] = uint8(max(0, min(255, r+float64(zero))))
	}
}

// GemmU8S8 computes the integer product c = a·vᵀ, where a is m×k unsigned
// bytes (row stride lda) and v the quantized values of w: for i < m, j < N,
//
//	c[i*ldc+j] = Σ_p int32(a[i*lda+p]) · int32(v[j*k+p])
//
// exactly, on every tier. It panics if a slice is too short for its matrix.
func GemmU8S8(m int, a []uint8, lda int, w *Int8Weights, c []int32, ldc int) {
	checkInt8(m, len(a), lda, w, len(c), ldc)
	if m == 0 {
		return
	}
	run := newInt8Run(int8Reg.load(), m, w)
	defer run.release()
	run.ci, run.ldc, run.sa = c, ldc, nil
	t := run.t
	for i := range m {
		row := a[i*lda : i*lda+w.k]
		if t.step == 0 {
			packRow(run.a[(i/t.mr)*t.mr*w.kp+(i%t.mr)*4:], 4*t.mr, row)
			continue
		}
		for p := 0; p < w.k; p += t.step {
			copy(run.a[(i/t.mr)*t.mr*w.kp+(p/t.step)*t.mr*t.step+(i%t.mr)*t.step:], row[p:min(p+t.step, w.k)])
		}
	}
	run.do()
}

// packRow writes a row of bytes into a packed A panel: groups of 4 at
// stride apart.
func packRow(dst []uint8, stride int, row []uint8) {
	for g := 0; g < len(row); g += 4 {
		copy(dst[(g/4)*stride:(g/4)*stride+4], row[g:min(g+4, len(row))])
	}
}

// Int8Linear computes y = x·wᵀ + bias with x quantized per row (QuantizeRow)
// and w per output channel: for i < m, j < w.N(),
//
//	y[i*ldy+j] ≈ Σ_p x[i*ldx+p]·weight[j][p] + bias[j]
//
// through the integer product and the epilogue in this file's comment, so
// the result is the same bit for bit on every tier and thread count. x is
// m×w.K(). It panics if a slice is too short for its matrix.
func Int8Linear(m int, x []float32, ldx int, w *Int8Weights, y []float32, ldy int) {
	checkInt8(m, len(x), ldx, w, len(y), ldy)
	if m == 0 {
		return
	}
	run := newInt8Run(int8Reg.load(), m, w)
	defer run.release()
	run.cf, run.ldc = y, ldy
	t := run.t
	for i := range m {
		xi := x[i*ldx : i*ldx+w.k]
		var inv float32
		run.sa[i], inv, run.za[i] = rowGrid(t, xi)
		if t.step == 0 {
			t.quant(run.a[(i/t.mr)*t.mr*w.kp+(i%t.mr)*4:], 4*t.mr, xi, inv, run.za[i])
			continue
		}
		// Steps of step bytes: within one, groups of 4 are contiguous.
		for p := 0; p < w.k; p += t.step {
			t.quant(run.a[(i/t.mr)*t.mr*w.kp+(p/t.step)*t.mr*t.step+(i%t.mr)*t.step:], 4, xi[p:min(p+t.step, w.k)], inv, run.za[i])
		}
	}
	run.do()
}

func checkInt8(m, la, lda int, w *Int8Weights, lc, ldc int) {
	switch {
	case m < 0:
		panic(fmt.Sprintf("kernels: int8 product with %d rows", m))
	case w == nil:
		panic("kernels: int8 product with nil weights")
	case lda < w.k || ldc < w.n:
		panic(fmt.Sprintf("kernels: int8 product: strides %d, %d shorter than rows %d, %d", lda, ldc, w.k, w.n))
	case m > 0 && (la < (m-1)*lda+w.k || lc < (m-1)*ldc+w.n):
		panic(fmt.Sprintf("kernels: int8 product: slices of %d and %d elements too short for %d rows", la, lc, m))
	}
}

// int8Run is one product: packed activations times packed weights, split
// into units of one row block by one column chunk.
type int8Run struct {
	t   *int8Tier
	m   int
	w   *Int8Weights
	a   []uint8 // packed A: (m rounded up to mr)·kp bytes
	ci  []int32
	cf  []float32
	ldc int
	za  []int32   // row zero points (Int8Linear), m rounded up to mr
	sa  []float32 // row scales (Int8Linear; nil for GemmU8S8)

	buf *int8Buffers
}

// int8Buffers are an int8Run's buffers, kept for reuse (int8Scratch), so a
// stream of products allocates nothing once the largest has been seen.
// They are never cleared: rows past m and depth past k are multiplied by
// zero-padded weights or land in discarded scratch tiles.
type int8Buffers struct {
	a  []uint8
	za []int32
	sa []float32
}

var int8Scratch freeList[int8Buffers]

// newInt8Run returns a run of tier t for m rows of w with its buffers; the
// caller sets the output and releases the run when done.
func newInt8Run(t *int8Tier, m int, w *Int8Weights) *int8Run {
	if t.step != 0 && w.kp%t.step != 0 {
		t = t.fallback
	}
	mp := (m + t.mr - 1) / t.mr * t.mr
	b := int8Scratch.get()
	if cap(b.a) < mp*w.kp {
		b.a = make([]uint8, mp*w.kp)
	}
	if cap(b.za) < mp {
		b.za, b.sa = make([]int32, mp), make([]float32, mp)
	}
	return &int8Run{t: t, m: m, w: w, a: b.a[:mp*w.kp], za: b.za[:mp], sa: b.sa[:mp], buf: b}
}

func (r *int8Run) release() {
	int8Scratch.put(r.buf)
	r.buf = nil
}

// int8ChunkCols is how many columns one unit of work covers: its packed
// weights (int8ChunkCols·kp bytes, 192 KiB at k = 1536) stay in L2 while the
// unit's row block passes over them.
const int8ChunkCols = 128

func (r *int8Run) do() {
	nrb := (r.m + r.t.mr - 1) / r.t.mr
	ncc := (r.w.n + int8ChunkCols - 1) / int8ChunkCols
	// One unit is mr·128·k multiply-adds; hand out at least 2 per goroutine.
	Parallel(nrb*ncc, 2, int8Task{r, ncc})
}

type int8Task struct {
	r   *int8Run
	ncc int
}

func (t int8Task) Run(lo, hi int) {
	r := t.r
	tr := r.t
	mr, nr, kp := tr.mr, tr.nr, r.w.kp
	kg := kp / 4
	var tile []float32
	var tileI []int32
	// One epilogue per call, reused for every tile: passed to the tier's
	// micro-kernel through a function value it escapes to the heap, and
	// one per tile was an allocation per 12×32 outputs.
	ep := new(int8Epilogue)
	for u := lo; u < hi; u++ {
		rb, cc := u/t.ncc, u%t.ncc
		i0 := rb * mr
		rows := min(mr, r.m-i0)
		ap := r.a[i0*kp : (i0+mr)*kp]
		for j0 := cc * int8ChunkCols; j0 < min((cc+1)*int8ChunkCols, r.w.n); j0 += nr {
			cols := min(nr, r.w.n-j0)
			*ep = int8Epilogue{ldc: r.ldc}
			// j0+nr <= np: np is a multiple of 32 and nr of 16 dividing it.
			bstride := 16 * kp
			b := r.w.data[(j0/16)*16*kp : (j0/16)*16*kp+(nr/16)*16*kp]
			full := rows == mr && cols == nr
			// colSum goes with every tile: the arm64 kernels, whose byte
			// products are signed by signed, need it for the raw sums too.
			ep.colSum = r.w.colSum[j0 : j0+nr]
			if r.sa == nil {
				if full {
					ep.ci = r.ci[i0*r.ldc+j0:]
				} else {
					if tileI == nil {
						tileI = make([]int32, mr*nr)
					}
					ep.ci, ep.ldc = tileI, nr
				}
			} else {
				ep.za, ep.sa = r.za[i0:i0+mr], r.sa[i0:i0+mr]
				ep.sw, ep.bias = r.w.scale[j0:j0+nr], r.w.bias[j0:j0+nr]
				if full {
					ep.cf = r.cf[i0*r.ldc+j0:]
				} else {
					if tile == nil {
						tile = make([]float32, mr*nr)
					}
					ep.cf, ep.ldc = tile, nr
				}
			}
			tr.micro(kg, ap, b, bstride, ep)
			if !full {
				for i := range rows {
					if r.sa == nil {
						copy(r.ci[(i0+i)*r.ldc+j0:(i0+i)*r.ldc+j0+cols], tileI[i*nr:])
					} else {
						copy(r.cf[(i0+i)*r.ldc+j0:(i0+i)*r.ldc+j0+cols], tile[i*nr:])
					}
				}
			}
		}
	}
}

// int8MicroGeneric is the generic tier's 4×16 micro-kernel and the contract
// every tier's follows. a holds kg groups of mr·4 bytes (row i of group g at
// g·mr·4 + i·4); b holds nr/16 panels of kg groups of 64 bytes, panel s
// starting at s·bstride (column j of group g at g·64 + j·4). The tile's sums
//
//	acc[i][j] = Σ_g Σ_q int32(a[g·mr·4+i·4+q]) · int32(b[(j/16)·bstride + g·64 + (j%16)·4 + q])
//
// go to ep (see int8Epilogue), row i at i·ep.ldc.
func int8MicroGeneric(kg int, a []uint8, b []int8, bstride int, ep *int8Epilogue) {
	const mr, nr = 4, 16
	var acc [mr][nr]int32
	a = a[:kg*mr*4]
	b = b[:kg*64]
	for g := range kg {
		ag := a[g*mr*4 : g*mr*4+mr*4]
		bg := b[g*64 : g*64+64]
		for i := range mr {
			a0, a1, a2, a3 := int32(ag[i*4]), int32(ag[i*4+1]), int32(ag[i*4+2]), int32(ag[i*4+3])
			for j := range nr {
				acc[i][j] += a0*int32(bg[j*4]) + a1*int32(bg[j*4+1]) + a2*int32(bg[j*4+2]) + a3*int32(bg[j*4+3])
			}
		}
	}
	int8EpilogueGo(&acc, ep)
}

// int8EpilogueGo writes a 4×16 tile of sums as ep says; it is the reference
// the assembly epilogues match bit for bit.
func int8EpilogueGo(acc *[4][16]int32, ep *int8Epilogue) {
	for i := range acc {
		if ep.sa == nil {
			copy(ep.ci[i*ep.ldc:i*ep.ldc+16], acc[i][:])
			continue
		}
		row := ep.cf[i*ep.ldc : i*ep.ldc+16]
		for j := range row {
			row[j] = dequant(acc[i][j], ep.za[i], ep.sa[i], ep.colSum[j], ep.sw[j], ep.bias[j])
		}
	}
}

// dequant is the epilogue for one sum (see this file's comment). The
// explicit conversions keep the compiler from fusing the multiply and add.
func dequant(acc, za int32, sa float32, colSum int32, sw, bias float32) float32 {
	t := acc - za*colSum
	s := float32(sa * sw)
	y := float32(float32(t) * s)
	return y + bias
}
