package kernels

import (
	"math"
)

// bfloat16 products with float32 accumulation.
//
// A bfloat16 is the upper half of a float32: the sign, the 8-bit exponent
// and 7 bits of mantissa, so it has float32's range and a unit roundoff of
// 2⁻⁸. SgemmBF16 rounds its float32 operands to bfloat16 to nearest even as
// it packs them, multiplies the pairs exactly (two 8-bit mantissas fit a
// float32's 24) and sums them in float32: each operand is off by at most
// 2⁻⁸ of itself, each product by 2⁻⁷, so the error against the exact
// product is at most about (2⁻⁷ + k·2⁻²⁴)·Σ|a||b|. The avx512bf16 tier does each pair of
// depth steps with one VDPBF16PS (32 products per instruction, twice
// float32's FMA); its sums round differently from the generic tier's (and
// it flushes subnormal values to zero), so the tiers agree within the
// bound, not bit for bit.

// EnvBF16Tier is the environment variable that forces the bfloat16 tier at
// start-up (RRRA_KERNELS_BF16=generic). When it is unset and
// RRRA_KERNELS=generic, the bfloat16 products use the generic tier too.
const EnvBF16Tier = "RRRA_KERNELS_BF16"

// bf16Tier is one implementation of the bfloat16 products.
type bf16Tier struct {
	name      string
	supported bool
	reason    string
	mr, nr    int // register block: mr rows, nr columns (a multiple of 16)
	// micro computes, for the mr×nr tile at c (row stride ldc),
	//	c[i][j] = alpha·Σ_p a·b + beta·c[i][j]   (c not read when beta == 0)
	// from a packed A panel (kp/2 pairs of mr rows × 2 values) and nr/16
	// packed B panels of 16 columns (kp/2 pairs of 16 columns × 2 values),
	// bstride values apart.
	micro func(kp2 int, a, b []uint16, bstride int, c []float32, ldc int, alpha, beta float32)
	// pairs and interleave pack rows: bf16PairsGo and bf16InterleaveGo,
	// value for value.
	pairs      func(dst []uint16, stride int, src []float32)
	interleave func(dst []uint16, stride int, r0, r1 []float32)
	// chunks, when set, packs A panels in steps of 32 depth values (the
	// depth padded to a multiple of 32): step s of a panel holds its mr
	// rows of 32 values, row i at 32·i (the amxbf16 tier's tiles), rather
	// than pairs of mr rows. It packs one row: bf16ChunksGo.
	chunks func(dst []uint16, stride int, src []float32)
}

// bf16Reg holds the bfloat16 tiers and the one in use.
var bf16Reg = registry[bf16Tier, *bf16Tier]{kind: "bfloat16 tier"}

func init() {
	all := append(asmBF16Tiers(), &bf16Tier{name: "generic", supported: true, mr: 4, nr: 16,
		micro: bf16MicroGeneric, pairs: bf16PairsGo, interleave: bf16InterleaveGo})
	bf16Reg.start(all, bf16Reg.best(all), EnvBF16Tier, EnvTier)
}

// BF16Tiers returns the names of the bfloat16 tiers compiled into this
// binary, best first, whether or not this CPU supports them.
func BF16Tiers() []string { return bf16Reg.names() }

// BF16Supported reports whether this CPU can run the named bfloat16 tier,
// and if not, why.
func BF16Supported(name string) (ok bool, reason string) { return bf16Reg.supported(name) }

// SelectedBF16 returns the name of the bfloat16 tier in use.
func SelectedBF16() string { return bf16Reg.selected() }

// UseBF16 switches the bfloat16 products to the named tier and returns a
// function that restores the previous one; ok is false, and nothing
// changes, when the tier does not exist or this CPU cannot run it.
func UseBF16(name string) (restore func(), ok bool) { return bf16Reg.use(name) }

// ToBF16 rounds a float32 to bfloat16, to nearest even; NaN stays NaN
// (quiet), infinities stay infinite, and a finite value beyond bfloat16's
// largest rounds to infinity, as VCVTNEPS2BF16 does.
func ToBF16(x float32) uint16 {
	b := math.Float32bits(x)
	if b&0x7fffffff > 0x7f800000 { // NaN
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// FromBF16 widens a bfloat16 to float32 (exactly).
func FromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// SgemmBF16 is Sgemm with the operands rounded to bfloat16 (ToBF16) and
// the products summed in float32 (see this file's comment for the error):
// C = alpha·op(A)·op(B) + beta·C, row-major, op(X) = X or Xᵀ, C not read
// when beta is 0. It panics as Sgemm does on bad dimensions or short
// slices. The result is the same for every thread count.
func SgemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmBF16(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmBF16Serial is SgemmBF16 computed on the calling goroutine alone, for
// work that already runs its products on separate goroutines (attention,
// per head); the result is SgemmBF16's, bit for bit.
func SgemmBF16Serial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmBF16(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemmBF16(parallel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	t := bf16Reg.load()
	kp := (k + 1) &^ 1
	if t.chunks != nil {
		kp = (k + 31) &^ 31
	}
	np := (n + 31) &^ 31
	mp := (m + t.mr - 1) / t.mr * t.mr
	// op(B) packed whole: panels of 16 columns, pairs of depth steps;
	// op(A) in blocks of mr rows, pairs of depth steps. The buffers come
	// from a free list (a training step calls this for every Linear) and
	// are cleared where there is padding (an odd k's last pair, or k's
	// steps past k; columns past n, rows past m), which must be zero: the
	// packing writes every other value.
	buf := bf16Scratch.get()
	defer bf16Scratch.put(buf)
	bp := grow16(&buf.bp, np*kp)
	ap := grow16(&buf.ap, mp*kp)
	if kp != k || np != n {
		clear(bp)
	}
	if kp != k || mp != m {
		clear(ap)
	}
	var zero []float32
	if k%2 == 1 {
		if cap(buf.zero) < max(m, n) {
			buf.zero = make([]float32, max(m, n)) // never written: stays zero
		}
		zero = buf.zero[:max(m, n)]
	}
	if transB {
		// Column j of op(B) is row j of b: its depth steps are contiguous.
		for j := range n {
			t.pairs(bp[(j/16)*16*kp+(j%16)*2:], 32, b[j*ldb:j*ldb+k])
		}
	} else {
		for p := 0; p < k; p += 2 {
			r0, r1 := depthPair(b, ldb, n, k, p, zero)
			t.interleave(bp[(p/2)*32:], 16*kp, r0, r1)
		}
	}
	mr := t.mr
	switch {
	case t.chunks != nil && !transA:
		for i := range m {
			t.chunks(ap[(i/mr)*mr*kp+(i%mr)*32:], mr*32, a[i*lda:i*lda+k])
		}
	case !transA:
		for i := range m {
			t.pairs(ap[(i/mr)*mr*kp+(i%mr)*2:], mr*2, a[i*lda:i*lda+k])
		}
	default:
		// Depth steps p and p+1 are rows of a: interleave them into one
		// row of pairs (pair i is row i's: row[2i], row[2i+1]), then put
		// each pair in its panel: into row i's chunk of 32 (chunks), or
		// each block's mr pairs together.
		row := grow16(&buf.row, (m+15)/16*32) // every value read is written first
		for p := 0; p < k; p += 2 {
			r0, r1 := depthPair(a, lda, m, k, p, zero)
			t.interleave(row, 32, r0, r1)
			if t.chunks != nil {
				off := (p/32)*mr*32 + p%32
				for i := range m {
					d := (i/mr)*mr*kp + (i%mr)*32 + off
					ap[d], ap[d+1] = row[2*i], row[2*i+1]
				}
				continue
			}
			for i0 := 0; i0 < m; i0 += mr {
				rows := min(mr, m-i0)
				copy(ap[i0*kp+(p/2)*mr*2:i0*kp+(p/2)*mr*2+2*rows], row[2*i0:2*i0+2*rows])
			}
		}
	}
	job := bf16Job{t: t, m: m, n: n, kp: kp, ap: ap, bp: bp, c: c, ldc: ldc, alpha: alpha, beta: beta}
	nrb := (m + t.mr - 1) / t.mr
	job.ncc = (n + int8ChunkCols - 1) / int8ChunkCols
	if !parallel {
		job.Run(0, nrb*job.ncc) // job stays on the stack: no allocation per product
		return
	}
	shared := job
	Parallel(nrb*job.ncc, 2, &shared)
}

// depthPair returns depth steps p and p+1 of x, rows of n values ld
// apart, k of them; past the last, the second is zero (n zeros).
func depthPair(x []float32, ld, n, k, p int, zero []float32) (r0, r1 []float32) {
	r0 = x[p*ld : p*ld+n]
	if p+1 < k {
		return r0, x[(p+1)*ld : (p+1)*ld+n]
	}
	return r0, zero[:n]
}

// bf16Buffers are one SgemmBF16 call's packing buffers, kept for reuse.
type bf16Buffers struct {
	ap, bp, row []uint16
	zero        []float32
}

var bf16Scratch freeList[bf16Buffers]

// bf16Tiles lends the edge tiles (a partial mr×nr block computed whole,
// then copied), big enough for every tier's.
var bf16Tiles freeList[[32 * 32]float32]

// grow16 returns (*b)[:n], reallocating *b when it is too short.
func grow16(b *[]uint16, n int) []uint16 {
	if cap(*b) < n {
		*b = make([]uint16, n)
	}
	return (*b)[:n]
}

// bf16Job is one SgemmBF16 product, split into units of one row block by
// one column chunk (as the int8 products are).
type bf16Job struct {
	t           *bf16Tier
	m, n, kp    int
	ap, bp      []uint16
	c           []float32
	ldc, ncc    int
	alpha, beta float32
}

func (r *bf16Job) Run(lo, hi int) {
	t := r.t
	mr, nr, kp := t.mr, t.nr, r.kp
	var tile []float32
	for u := lo; u < hi; u++ {
		rb, cc := u/r.ncc, u%r.ncc
		i0 := rb * mr
		rows := min(mr, r.m-i0)
		a := r.ap[i0*kp : (i0+mr)*kp]
		for j0 := cc * int8ChunkCols; j0 < min((cc+1)*int8ChunkCols, r.n); j0 += nr {
			cols := min(nr, r.n-j0)
			b := r.bp[(j0/16)*16*kp : (j0/16+nr/16)*16*kp]
			if rows == mr && cols == nr {
				t.micro(kp/2, a, b, 16*kp, r.c[i0*r.ldc+j0:], r.ldc, r.alpha, r.beta)
				continue
			}
			if tile == nil {
				tb := bf16Tiles.get()
				defer bf16Tiles.put(tb)
				tile = tb[:mr*nr]
			}
			if r.beta != 0 {
				for i := range rows {
					copy(tile[i*nr:i*nr+cols], r.c[(i0+i)*r.ldc+j0:])
				}
			}
			t.micro(kp/2, a, b, 16*kp, tile, nr, r.alpha, r.beta)
			for i := range rows {
				copy(r.c[(i0+i)*r.ldc+j0:(i0+i)*r.ldc+j0+cols], tile[i*nr:])
			}
		}
	}
}

// bf16PairsGo rounds src to bfloat16 in pairs of consecutive values, pair
// q at dst[q·stride:]: dst[(p/2)·stride + p%2] = ToBF16(src[p]).
func bf16PairsGo(dst []uint16, stride int, src []float32) {
	for p, v := range src {
		dst[(p/2)*stride+p%2] = ToBF16(v)
	}
}

// bf16ChunksGo rounds src to bfloat16 in chunks of 32 consecutive values,
// chunk q at dst[q·stride:]: dst[(p/32)·stride + p%32] = ToBF16(src[p]).
func bf16ChunksGo(dst []uint16, stride int, src []float32) {
	for p, v := range src {
		dst[(p/32)*stride+p%32] = ToBF16(v)
	}
}

// bf16InterleaveGo rounds two rows to bfloat16 and interleaves them in
// blocks of 16 columns, block q at dst[q·stride:]:
// dst[(j/16)·stride + 2·(j%16) + t] = ToBF16(r_t[j]).
func bf16InterleaveGo(dst []uint16, stride int, r0, r1 []float32) {
	r1 = r1[:len(r0)]
	for j := range r0 {
		d := (j/16)*stride + 2*(j%16)
		dst[d], dst[d+1] = ToBF16(r0[j]), ToBF16(r1[j])
	}
}

// bf16MicroGeneric is the generic tier's 4×16 tile (see bf16Tier.micro).
func bf16MicroGeneric(kp2 int, a, b []uint16, _ int, c []float32, ldc int, alpha, beta float32) {
	const mr, nr = 4, 16
	var acc [mr][nr]float32
	a = a[:kp2*mr*2]
	b = b[:kp2*32]
	for g := range kp2 {
		ag := a[g*mr*2 : g*mr*2+mr*2]
		bg := b[g*32 : g*32+32]
		for i := range mr {
			a0, a1 := FromBF16(ag[2*i]), FromBF16(ag[2*i+1])
			for j := range nr {
				// Each product of two bfloat16 is exact in float32.
				acc[i][j] += float32(a0 * FromBF16(bg[2*j]))
				acc[i][j] += float32(a1 * FromBF16(bg[2*j+1]))
			}
		}
	}
	for i := range mr {
		row := c[i*ldc : i*ldc+nr]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * acc[i][j]
			} else {
				row[j] = float32(alpha*acc[i][j]) + float32(beta*row[j])
			}
		}
	}
}
