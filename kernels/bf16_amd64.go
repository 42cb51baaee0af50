//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// asmBF16Tiers returns the bfloat16 tiers in assembly, best first: amxbf16, a
// 32×32 tile in four AMX tile registers (TDPBF16PS: 8,192 multiply-adds
// per instruction), and avx512bf16, a 12×32 tile with VDPBF16PS (32
// multiply-adds per instruction).
func asmBF16Tiers() []*bf16Tier {
	amx := &bf16Tier{name: "amxbf16", mr: 32, nr: 32, micro: microBF16AMXBF16,
		pairs: bf16PairsAVX512BF16Slice, interleave: bf16InterleaveAVX512BF16Slice, chunks: bf16ChunksAMXBF16Slice}
	switch {
	case !cpuid.CPU.Supports(cpuid.AMXTILE, cpuid.AMXBF16):
		amx.reason = "CPU lacks AMX-TILE or AMX-BF16"
	case !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512BF16, cpuid.AVX2, cpuid.FMA3):
		amx.reason = "CPU lacks AVX512F, AVX512BW, AVX512-BF16, AVX2 or FMA3 (the packing kernels')"
	default:
		amx.supported, amx.reason = grantAMX()
	}
	t := &bf16Tier{name: "avx512bf16", mr: 12, nr: 32, micro: microBF16AVX512BF16,
		pairs: bf16PairsAVX512BF16Slice, interleave: bf16InterleaveAVX512BF16Slice}
	switch {
	case !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512BF16):
		t.reason = "CPU lacks AVX512F, AVX512BW or AVX512-BF16"
	case !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3):
		t.reason = "CPU lacks AVX2 or FMA3"
	default:
		t.supported = true
	}
	return []*bf16Tier{amx, t}
}

//go:noescape
func bf16MicroAMXBF16(kp2 int, a, b *uint16, bstride int, c *float32, ldc int, alpha, beta float32)

// microBF16AMXBF16 checks the panel lengths (the assembly trusts them) and
// runs the 32×32 micro-kernel; kp2 is a multiple of 16.
func microBF16AMXBF16(kp2 int, a, b []uint16, bstride int, c []float32, ldc int, alpha, beta float32) {
	_ = a[kp2*64-1]
	_ = b[bstride+kp2*32-1]
	_ = c[31*ldc+31]
	bf16MicroAMXBF16(kp2, &a[0], &b[0], bstride, &c[0], ldc, alpha, beta)
}

//go:noescape
func bf16ChunksAMXBF16(src *float32, n32 int, dst *uint16, stride int)

// bf16ChunksAMXBF16Slice is bf16ChunksGo with the whole chunks of 32 in
// assembly.
func bf16ChunksAMXBF16Slice(dst []uint16, stride int, src []float32) {
	n32 := len(src) &^ 31
	if n32 > 0 {
		_ = dst[(n32/32-1)*stride+31]
		bf16ChunksAMXBF16(&src[0], n32, &dst[0], 2*stride)
	}
	if n32 < len(src) {
		bf16ChunksGo(dst[(n32/32)*stride:], stride, src[n32:])
	}
}

//go:noescape
func bf16MicroAVX512BF16(kp2 int, a, b *uint16, bstride int, c *float32, ldc int, alpha, beta float32)

// microBF16AVX512BF16 checks the panel lengths (the assembly trusts them)
// and runs the 12×32 micro-kernel.
func microBF16AVX512BF16(kp2 int, a, b []uint16, bstride int, c []float32, ldc int, alpha, beta float32) {
	_ = a[kp2*24-1]
	_ = b[bstride+kp2*32-1]
	_ = c[11*ldc+31]
	bf16MicroAVX512BF16(kp2, &a[0], &b[0], bstride, &c[0], ldc, alpha, beta)
}

//go:noescape
func bf16PairsAVX512BF16(src *float32, n32 int, dst *uint16, stride int)

//go:noescape
func bf16InterleaveAVX512BF16(r0, r1 *float32, n16 int, dst *uint16, stride int)

// bf16PairsAVX512BF16Slice is bf16PairsGo with the whole blocks of 32 in
// assembly.
func bf16PairsAVX512BF16Slice(dst []uint16, stride int, src []float32) {
	n32 := len(src) &^ 31
	if n32 > 0 {
		_ = dst[(n32/2-1)*stride+1]
		bf16PairsAVX512BF16(&src[0], n32, &dst[0], 2*stride)
	}
	if n32 < len(src) {
		bf16PairsGo(dst[(n32/2)*stride:], stride, src[n32:])
	}
}

// bf16InterleaveAVX512BF16Slice is bf16InterleaveGo with the whole blocks
// of 16 in assembly.
func bf16InterleaveAVX512BF16Slice(dst []uint16, stride int, r0, r1 []float32) {
	n16 := len(r0) &^ 15
	_ = r1[len(r0)-1]
	if n16 > 0 {
		_ = dst[(n16/16-1)*stride+31]
		bf16InterleaveAVX512BF16(&r0[0], &r1[0], n16, &dst[0], 2*stride)
	}
	if n16 < len(r0) {
		bf16InterleaveGo(dst[(n16/16)*stride:], stride, r0[n16:], r1[n16:len(r0)])
	}
}
