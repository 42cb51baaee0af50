//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// asmBF16Tiers returns the bfloat16 tiers in assembly on arm64, best first:
// neonbf16, a 6×16 tile with BFDOT (needs FEAT_BF16), and neon, a 2×16
// tile that widens bfloat16 to float32 with a shift and multiplies with
// FMLA (every arm64 CPU). Both pack their operands with the Go routines
// (bf16PairsGo, bf16InterleaveGo): packing is O((m+n)·k) of an O(m·n·k)
// product.
func asmBF16Tiers() []*bf16Tier {
	bf := &bf16Tier{name: "neonbf16", mr: 6, nr: 16, micro: microBF16NEONBF16,
		pairs: bf16PairsGo, interleave: bf16InterleaveGo}
	if cpuid.CPU.Supports(cpuid.BF16) {
		bf.supported = true
	} else {
		bf.reason = "CPU lacks BF16 (FEAT_BF16), or the OS does not report it"
	}
	neon := &bf16Tier{name: "neon", mr: 2, nr: 16, micro: microBF16NEON,
		pairs: bf16PairsGo, interleave: bf16InterleaveGo, supported: hasASIMD()}
	return []*bf16Tier{bf, neon}
}

//go:noescape
func bf16MicroNEONBF16(kp2 int, a, b *uint16, bstride int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func bf16MicroNEON(kp2 int, a, b *uint16, bstride int, c *float32, ldc int, alpha, beta float32)

// microBF16NEONBF16 checks the panel lengths (the assembly trusts them) and
// runs the 6×16 BFDOT micro-kernel.
func microBF16NEONBF16(kp2 int, a, b []uint16, bstride int, c []float32, ldc int, alpha, beta float32) {
	_ = a[kp2*12-1]
	_ = b[kp2*32-1]
	_ = c[5*ldc+15]
	bf16MicroNEONBF16(kp2, &a[0], &b[0], bstride, &c[0], ldc, alpha, beta)
}

// microBF16NEON checks the panel lengths (the assembly trusts them) and
// runs the 2×16 widening micro-kernel.
func microBF16NEON(kp2 int, a, b []uint16, bstride int, c []float32, ldc int, alpha, beta float32) {
	_ = a[kp2*4-1]
	_ = b[kp2*32-1]
	_ = c[ldc+15]
	bf16MicroNEON(kp2, &a[0], &b[0], bstride, &c[0], ldc, alpha, beta)
}
