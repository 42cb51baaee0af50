//go:build !purego

package kernels

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// asmInt8Tiers returns the integer-product tiers in assembly, best first:
// amxint8 (a 32×32 tile in four AMX tile registers with TDPBUSD: 16,384
// multiply-adds per instruction; weights whose padded depth is not a
// multiple of 64 go to the next supported tier), avx512vnni (a 12×32 tile on ZMM registers with VPDPBUSD: 64 multiply-adds
// per instruction), avxvnni (6×16 on YMM with the VEX VPDPBUSD: 32),
// avx2 (4×16 with VPMADDUBSW, VPMADDWD and VPADDD: 32 per three
// instructions). The first this CPU supports is chosen; every tier gives
// the same results bit for bit, so the choice changes only speed.
func asmInt8Tiers() []*int8Tier {
	amx := &int8Tier{name: "amxint8", mr: 32, nr: 32, step: 64, micro: microInt8AMXINT8}
	switch {
	case !cpuid.CPU.Supports(cpuid.AMXTILE, cpuid.AMXINT8):
		amx.reason = "CPU lacks AMX-TILE or AMX-INT8"
	case !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX2, cpuid.FMA3):
		amx.reason = "CPU lacks AVX512F, AVX2 or FMA3 (the epilogue's and the quantizer's)"
	default:
		amx.supported, amx.reason = grantAMX()
	}
	avx512vnni := &int8Tier{name: "avx512vnni", mr: 12, nr: 32, micro: microInt8AVX512VNNI}
	switch {
	case !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VNNI):
		avx512vnni.reason = "CPU lacks AVX512F or AVX512-VNNI"
	case !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3):
		avx512vnni.reason = "CPU lacks AVX2 or FMA3"
	default:
		avx512vnni.supported = true
	}
	avxvnni := &int8Tier{name: "avxvnni", mr: 6, nr: 16, micro: microInt8AVXVNNI}
	switch {
	case !cpuid.CPU.Supports(cpuid.AVXVNNI):
		avxvnni.reason = "CPU lacks AVX-VNNI"
	case !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3):
		avxvnni.reason = "CPU lacks AVX2 or FMA3"
	default:
		avxvnni.supported = true
	}
	avx2 := &int8Tier{name: "avx2", mr: 4, nr: 16, micro: microInt8AVX2}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		avx2.supported = true
	} else {
		avx2.reason = "CPU lacks AVX2 or FMA3"
	}
	for _, t := range []*int8Tier{amx, avx512vnni, avxvnni, avx2} {
		t.minMax, t.quant = minMaxAVX2Slice, quantAVX2Slice
	}
	return []*int8Tier{amx, avx512vnni, avxvnni, avx2}
}

//go:noescape
func minMaxAVX2(x *float32, n8 int) (lo, hi float32)

//go:noescape
func quantAVX2(x *float32, n8 int, inv float32, zero int32, dst *uint8, stride int)

// minMaxAVX2Slice is minMaxGo with the whole groups of 8 in assembly.
func minMaxAVX2Slice(x []float32) (lo, hi float32) {
	n8 := len(x) &^ 7
	if n8 > 0 {
		lo, hi = minMaxAVX2(&x[0], n8)
	}
	tl, th := minMaxGo(x[n8:])
	return min(lo, tl), max(hi, th)
}

// quantAVX2Slice is quantGo with the whole groups of 8 in assembly.
func quantAVX2Slice(dst []uint8, stride int, x []float32, inv float32, zero int32) {
	n8 := len(x) &^ 7
	if n8 > 0 {
		_ = dst[((n8-1)/4)*stride+3]
		quantAVX2(&x[0], n8, inv, zero, &dst[0], stride)
	}
	if n8 < len(x) {
		quantGo(dst[(n8/4)*stride:], stride, x[n8:], inv, zero)
	}
}

//go:noescape
func int8MicroAVX512VNNI(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int, za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)

//go:noescape
func int8MicroAVXVNNI(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int, za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)

//go:noescape
func int8MicroAVX2(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int, za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)

//go:noescape
func int8MicroAMXINT8(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int, za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)

// microInt8AMXINT8 runs the 32×32 AMX tile; kg is a multiple of 16, and
// the A panel is in steps of 64 bytes (int8Tier.step).
func microInt8AMXINT8(kg int, a []uint8, b []int8, bstride int, ep *int8Epilogue) {
	callInt8(int8MicroAMXINT8, 32, 32, kg, a, b, bstride, ep)
}

func microInt8AVX512VNNI(kg int, a []uint8, b []int8, bstride int, ep *int8Epilogue) {
	callInt8(int8MicroAVX512VNNI, 12, 32, kg, a, b, bstride, ep)
}

func microInt8AVXVNNI(kg int, a []uint8, b []int8, bstride int, ep *int8Epilogue) {
	callInt8(int8MicroAVXVNNI, 6, 16, kg, a, b, bstride, ep)
}

func microInt8AVX2(kg int, a []uint8, b []int8, bstride int, ep *int8Epilogue) {
	callInt8(int8MicroAVX2, 4, 16, kg, a, b, bstride, ep)
}
