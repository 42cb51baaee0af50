//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// asmBF16Tiers returns the bfloat16 tiers in assembly: avx512bf16, a 12×32
// tile with VDPBF16PS (32 multiply-adds per instruction).
func asmBF16Tiers() []*bf16Tier {
	t := &bf16Tier{name: "avx512bf16", mr: 12, nr: 32, micro: microBF16AVX512BF16}
	switch {
	case !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BF16):
		t.reason = "CPU lacks AVX512F or AVX512-BF16"
	case !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3):
		t.reason = "CPU lacks AVX2 or FMA3"
	default:
		t.supported = true
	}
	return []*bf16Tier{t}
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
