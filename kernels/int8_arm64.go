//go:build !purego

package kernels

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// asmInt8Tiers returns the integer-product tiers in assembly on arm64, best
// first: asimddp (a 6×16 tile with SDOT by element, 16 multiply-adds per
// instruction; needs the dot-product extension, FEAT_DotProd, of
// Cortex-A76, Neoverse N1 and later) and neon (a 2×16 tile with SMULL and
// SADALP, four multiply-adds per instruction, on every arm64 CPU). Both
// give the generic tier's results bit for bit.
func asmInt8Tiers() []*int8Tier {
	dp := &int8Tier{name: "asimddp", mr: 6, nr: 16, micro: microInt8ASIMDDP}
	if cpuid.CPU.Supports(cpuid.ASIMDDP) {
		dp.supported = true
	} else {
		dp.reason = "CPU lacks the dot-product extension (asimddp), or the OS does not report it"
	}
	neon := &int8Tier{name: "neon", mr: 2, nr: 16, micro: microInt8NEON, supported: hasASIMD()}
	for _, t := range []*int8Tier{dp, neon} {
		t.minMax, t.quant = minMaxNEONSlice, quantNEONSlice
	}
	return []*int8Tier{dp, neon}
}

//go:noescape
func int8MicroASIMDDP(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int, za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)

//go:noescape
func int8MicroNEON(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int, za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)

func microInt8ASIMDDP(kg int, a []uint8, b []int8, bstride int, ep *int8Epilogue) {
	callInt8(int8MicroASIMDDP, 6, 16, kg, a, b, bstride, ep)
}

func microInt8NEON(kg int, a []uint8, b []int8, bstride int, ep *int8Epilogue) {
	callInt8(int8MicroNEON, 2, 16, kg, a, b, bstride, ep)
}

//go:noescape
func quantNEON(x *float32, n4 int, inv float32, zero int32, dst *uint8, stride int)

//go:noescape
func minMaxNEON(x *float32, n4 int) (lo, hi float32)

// minMaxNEONSlice is minMaxGo with the whole groups of 4 in assembly.
func minMaxNEONSlice(x []float32) (lo, hi float32) {
	n4 := len(x) &^ 3
	if n4 > 0 {
		lo, hi = minMaxNEON(&x[0], n4)
	}
	tl, th := minMaxGo(x[n4:])
	return min(lo, tl), max(hi, th)
}

// quantNEONSlice is quantGo with the whole groups of 4 in assembly.
func quantNEONSlice(dst []uint8, stride int, x []float32, inv float32, zero int32) {
	n4 := len(x) &^ 3
	if n4 > 0 {
		_ = dst[((n4-1)/4)*stride+3]
		quantNEON(&x[0], n4, inv, zero, &dst[0], stride)
	}
	if n4 < len(x) {
		quantGo(dst[(n4/4)*stride:], stride, x[n4:], inv, zero)
	}
}
