//go:build !purego

// The neon tier's bfloat16 micro-kernel, for arm64 CPUs without BF16
// (Cortex-A72 and A76, Neoverse N1): a 2×16 tile. A bfloat16 widens to
// float32 exactly by a 16-bit left shift (SHLL, SHLL2), and the products
// are float32 FMLA, four multiply-adds per instruction.
//
// Arguments (bf16Tier.micro's contract): kp2 pairs of depth steps; a, the
// packed A panel (pair g of row i at a[g·mr·2 + 2i], two bfloat16); b, one
// panel of 16 columns (pair g of column j at b[g·32 + 2j]); c and ldc, the
// tile; c = alpha·Σ + beta·c, c not read when beta is ±0, the two products
// rounded separately as bf16MicroGeneric does.
// Registers common to both: R0 a, R1 b, R2 pairs left, R3 the C row, R4
// ldc in bytes, R5 beta's bits; epilogue: V6 alpha, V7 beta (lane 0),
// V0..V3 a row of C.
//
// func bf16MicroNEON(kp2 int, a, b *uint16, bstride int, c *float32, ldc int, alpha, beta float32)
//	Register plan: V0 V1 rows 0 and 1's pair, replicated to all four 32-bit
//	lanes (LD1R) and widened: (a0, a1, a0, a1) in float32; V2..V5 the 16
//	columns' pairs as loaded, widened into V20..V27: V(20+2r) columns 4r,
//	4r+1 and V(21+2r) columns 4r+2, 4r+3, each as (b0, b1) pairs; V8..V15
//	row 0's and V16..V19, V28..V31 row 1's accumulators, one per widened
//	B register, each lane a column's depth-0 or depth-1 products.
//	Loop structure: per pair: two loads, eight SHLL/SHLL2 of B, two of A,
//	16 FMLA (64 multiply-adds); after the loop FADDP adds each column's two
//	lanes (V20..V23 row 0, V24..V27 row 1), then the epilogue.

#include "textflag.h"

TEXT ·bf16MicroNEON(SB), NOSPLIT, $0-56
	MOVD kp2+0(FP), R2
	MOVD a+8(FP), R0
	MOVD b+16(FP), R1
	MOVD c+32(FP), R3
	MOVD ldc+40(FP), R4
	LSL  $2, R4, R4
	VEOR   V8.B16, V8.B16, V8.B16
	VEOR   V9.B16, V9.B16, V9.B16
	VEOR   V10.B16, V10.B16, V10.B16
	VEOR   V11.B16, V11.B16, V11.B16
	VEOR   V12.B16, V12.B16, V12.B16
	VEOR   V13.B16, V13.B16, V13.B16
	VEOR   V14.B16, V14.B16, V14.B16
	VEOR   V15.B16, V15.B16, V15.B16
	VEOR   V16.B16, V16.B16, V16.B16
	VEOR   V17.B16, V17.B16, V17.B16
	VEOR   V18.B16, V18.B16, V18.B16
	VEOR   V19.B16, V19.B16, V19.B16
	VEOR   V28.B16, V28.B16, V28.B16
	VEOR   V29.B16, V29.B16, V29.B16
	VEOR   V30.B16, V30.B16, V30.B16
	VEOR   V31.B16, V31.B16, V31.B16

bfn_loop:
	CBZ    R2, bfn_sum
	VLD1.P 64(R1), [V2.H8, V3.H8, V4.H8, V5.H8]
	VLD1R.P 4(R0), [V0.S4]
	VLD1R.P 4(R0), [V1.S4]
	WORD   $0x2e613854 // shll v20.4s, v2.4h, #16
	WORD   $0x6e613855 // shll2 v21.4s, v2.8h, #16
	WORD   $0x2e613876 // shll v22.4s, v3.4h, #16
	WORD   $0x6e613877 // shll2 v23.4s, v3.8h, #16
	WORD   $0x2e613898 // shll v24.4s, v4.4h, #16
	WORD   $0x6e613899 // shll2 v25.4s, v4.8h, #16
	WORD   $0x2e6138ba // shll v26.4s, v5.4h, #16
	WORD   $0x6e6138bb // shll2 v27.4s, v5.8h, #16
	WORD   $0x2e613800 // shll v0.4s, v0.4h, #16
	WORD   $0x2e613821 // shll v1.4s, v1.4h, #16
	VFMLA  V0.S4, V20.S4, V8.S4
	VFMLA  V1.S4, V20.S4, V16.S4
	VFMLA  V0.S4, V21.S4, V9.S4
	VFMLA  V1.S4, V21.S4, V17.S4
	VFMLA  V0.S4, V22.S4, V10.S4
	VFMLA  V1.S4, V22.S4, V18.S4
	VFMLA  V0.S4, V23.S4, V11.S4
	VFMLA  V1.S4, V23.S4, V19.S4
	VFMLA  V0.S4, V24.S4, V12.S4
	VFMLA  V1.S4, V24.S4, V28.S4
	VFMLA  V0.S4, V25.S4, V13.S4
	VFMLA  V1.S4, V25.S4, V29.S4
	VFMLA  V0.S4, V26.S4, V14.S4
	VFMLA  V1.S4, V26.S4, V30.S4
	VFMLA  V0.S4, V27.S4, V15.S4
	VFMLA  V1.S4, V27.S4, V31.S4
	SUB    $1, R2
	B      bfn_loop

bfn_sum:
	WORD   $0x6e29d514 // faddp v20.4s, v8.4s, v9.4s
	WORD   $0x6e2bd555 // faddp v21.4s, v10.4s, v11.4s
	WORD   $0x6e2dd596 // faddp v22.4s, v12.4s, v13.4s
	WORD   $0x6e2fd5d7 // faddp v23.4s, v14.4s, v15.4s
	WORD   $0x6e31d618 // faddp v24.4s, v16.4s, v17.4s
	WORD   $0x6e33d659 // faddp v25.4s, v18.4s, v19.4s
	WORD   $0x6e3dd79a // faddp v26.4s, v28.4s, v29.4s
	WORD   $0x6e3fd7db // faddp v27.4s, v30.4s, v31.4s

bfn_store:
	FMOVS  alpha+48(FP), F6
	FMOVS  beta+52(FP), F7
	MOVWU  beta+52(FP), R5
	LSLW   $1, R5, R5 // drop the sign: -0 is 0
	CBNZW  R5, bfn_beta
	WORD   $0x4f869294 // fmul v20.4s, v20.4s, v6.s[0]
	WORD   $0x4f8692b5 // fmul v21.4s, v21.4s, v6.s[0]
	WORD   $0x4f8692d6 // fmul v22.4s, v22.4s, v6.s[0]
	WORD   $0x4f8692f7 // fmul v23.4s, v23.4s, v6.s[0]
	VST1   [V20.S4, V21.S4, V22.S4, V23.S4], (R3)
	ADD    R4, R3, R3
	WORD   $0x4f869318 // fmul v24.4s, v24.4s, v6.s[0]
	WORD   $0x4f869339 // fmul v25.4s, v25.4s, v6.s[0]
	WORD   $0x4f86935a // fmul v26.4s, v26.4s, v6.s[0]
	WORD   $0x4f86937b // fmul v27.4s, v27.4s, v6.s[0]
	VST1   [V24.S4, V25.S4, V26.S4, V27.S4], (R3)
	RET

bfn_beta:
	VLD1   (R3), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4f879000 // fmul v0.4s, v0.4s, v7.s[0]
	WORD   $0x4f879021 // fmul v1.4s, v1.4s, v7.s[0]
	WORD   $0x4f879042 // fmul v2.4s, v2.4s, v7.s[0]
	WORD   $0x4f879063 // fmul v3.4s, v3.4s, v7.s[0]
	WORD   $0x4f869294 // fmul v20.4s, v20.4s, v6.s[0]
	WORD   $0x4f8692b5 // fmul v21.4s, v21.4s, v6.s[0]
	WORD   $0x4f8692d6 // fmul v22.4s, v22.4s, v6.s[0]
	WORD   $0x4f8692f7 // fmul v23.4s, v23.4s, v6.s[0]
	WORD   $0x4e20d694 // fadd v20.4s, v20.4s, v0.4s
	WORD   $0x4e21d6b5 // fadd v21.4s, v21.4s, v1.4s
	WORD   $0x4e22d6d6 // fadd v22.4s, v22.4s, v2.4s
	WORD   $0x4e23d6f7 // fadd v23.4s, v23.4s, v3.4s
	VST1   [V20.S4, V21.S4, V22.S4, V23.S4], (R3)
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4f879000 // fmul v0.4s, v0.4s, v7.s[0]
	WORD   $0x4f879021 // fmul v1.4s, v1.4s, v7.s[0]
	WORD   $0x4f879042 // fmul v2.4s, v2.4s, v7.s[0]
	WORD   $0x4f879063 // fmul v3.4s, v3.4s, v7.s[0]
	WORD   $0x4f869318 // fmul v24.4s, v24.4s, v6.s[0]
	WORD   $0x4f869339 // fmul v25.4s, v25.4s, v6.s[0]
	WORD   $0x4f86935a // fmul v26.4s, v26.4s, v6.s[0]
	WORD   $0x4f86937b // fmul v27.4s, v27.4s, v6.s[0]
	WORD   $0x4e20d718 // fadd v24.4s, v24.4s, v0.4s
	WORD   $0x4e21d739 // fadd v25.4s, v25.4s, v1.4s
	WORD   $0x4e22d75a // fadd v26.4s, v26.4s, v2.4s
	WORD   $0x4e23d77b // fadd v27.4s, v27.4s, v3.4s
	VST1   [V24.S4, V25.S4, V26.S4, V27.S4], (R3)
	RET
