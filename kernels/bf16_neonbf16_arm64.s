//go:build !purego

// The neonbf16 tier's bfloat16 micro-kernel: a 6×16 tile with BFDOT by
// element (FEAT_BF16: Neoverse V1 and V2, Graviton 3 and 4, Apple M2 and
// later), eight multiply-adds per instruction: each lane adds the two
// products of a column's pair of depth steps with a row's pair.
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
// func bf16MicroNEONBF16(kp2 int, a, b *uint16, bstride int, c *float32, ldc int, alpha, beta float32)
//	Register plan: V0 rows 0–3's pairs, V1 rows 4–5's (a 16- and an 8-byte
//	load); V2..V5 the 16 columns' pairs (columns 4q..4q+3 in V(2+q));
//	V8..V31 the accumulators, row i's columns 4q..4q+3 in V(8+4i+q).
//	Loop structure: per pair of depth steps: three loads and 24 BFDOT
//	(192 multiply-adds); then the epilogue, row by row.
//	BFDOT rounds as the architecture defines it (subnormal inputs and
//	outputs flushed to zero, as the avx512bf16 tier's VDPBF16PS does), so
//	its sums agree with the generic tier's within SgemmBF16's bound, not bit
//	for bit.

#include "textflag.h"

TEXT ·bf16MicroNEONBF16(SB), NOSPLIT, $0-56
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
	VEOR   V20.B16, V20.B16, V20.B16
	VEOR   V21.B16, V21.B16, V21.B16
	VEOR   V22.B16, V22.B16, V22.B16
	VEOR   V23.B16, V23.B16, V23.B16
	VEOR   V24.B16, V24.B16, V24.B16
	VEOR   V25.B16, V25.B16, V25.B16
	VEOR   V26.B16, V26.B16, V26.B16
	VEOR   V27.B16, V27.B16, V27.B16
	VEOR   V28.B16, V28.B16, V28.B16
	VEOR   V29.B16, V29.B16, V29.B16
	VEOR   V30.B16, V30.B16, V30.B16
	VEOR   V31.B16, V31.B16, V31.B16

bfd_loop:
	CBZ    R2, bfd_store
	VLD1.P 64(R1), [V2.H8, V3.H8, V4.H8, V5.H8]
	VLD1.P 16(R0), [V0.H8]
	VLD1.P 8(R0), [V1.H4]
	WORD   $0x4f40f048 // bfdot v8.4s, v2.8h, v0.2h[0]
	WORD   $0x4f40f069 // bfdot v9.4s, v3.8h, v0.2h[0]
	WORD   $0x4f40f08a // bfdot v10.4s, v4.8h, v0.2h[0]
	WORD   $0x4f40f0ab // bfdot v11.4s, v5.8h, v0.2h[0]
	WORD   $0x4f60f04c // bfdot v12.4s, v2.8h, v0.2h[1]
	WORD   $0x4f60f06d // bfdot v13.4s, v3.8h, v0.2h[1]
	WORD   $0x4f60f08e // bfdot v14.4s, v4.8h, v0.2h[1]
	WORD   $0x4f60f0af // bfdot v15.4s, v5.8h, v0.2h[1]
	WORD   $0x4f40f850 // bfdot v16.4s, v2.8h, v0.2h[2]
	WORD   $0x4f40f871 // bfdot v17.4s, v3.8h, v0.2h[2]
	WORD   $0x4f40f892 // bfdot v18.4s, v4.8h, v0.2h[2]
	WORD   $0x4f40f8b3 // bfdot v19.4s, v5.8h, v0.2h[2]
	WORD   $0x4f60f854 // bfdot v20.4s, v2.8h, v0.2h[3]
	WORD   $0x4f60f875 // bfdot v21.4s, v3.8h, v0.2h[3]
	WORD   $0x4f60f896 // bfdot v22.4s, v4.8h, v0.2h[3]
	WORD   $0x4f60f8b7 // bfdot v23.4s, v5.8h, v0.2h[3]
	WORD   $0x4f41f058 // bfdot v24.4s, v2.8h, v1.2h[0]
	WORD   $0x4f41f079 // bfdot v25.4s, v3.8h, v1.2h[0]
	WORD   $0x4f41f09a // bfdot v26.4s, v4.8h, v1.2h[0]
	WORD   $0x4f41f0bb // bfdot v27.4s, v5.8h, v1.2h[0]
	WORD   $0x4f61f05c // bfdot v28.4s, v2.8h, v1.2h[1]
	WORD   $0x4f61f07d // bfdot v29.4s, v3.8h, v1.2h[1]
	WORD   $0x4f61f09e // bfdot v30.4s, v4.8h, v1.2h[1]
	WORD   $0x4f61f0bf // bfdot v31.4s, v5.8h, v1.2h[1]
	SUB    $1, R2
	B      bfd_loop

bfd_store:
	FMOVS  alpha+48(FP), F6
	FMOVS  beta+52(FP), F7
	MOVWU  beta+52(FP), R5
	LSLW   $1, R5, R5 // drop the sign: -0 is 0
	CBNZW  R5, bfd_beta
	WORD   $0x4f869108 // fmul v8.4s, v8.4s, v6.s[0]
	WORD   $0x4f869129 // fmul v9.4s, v9.4s, v6.s[0]
	WORD   $0x4f86914a // fmul v10.4s, v10.4s, v6.s[0]
	WORD   $0x4f86916b // fmul v11.4s, v11.4s, v6.s[0]
	VST1   [V8.S4, V9.S4, V10.S4, V11.S4], (R3)
	ADD    R4, R3, R3
	WORD   $0x4f86918c // fmul v12.4s, v12.4s, v6.s[0]
	WORD   $0x4f8691ad // fmul v13.4s, v13.4s, v6.s[0]
	WORD   $0x4f8691ce // fmul v14.4s, v14.4s, v6.s[0]
	WORD   $0x4f8691ef // fmul v15.4s, v15.4s, v6.s[0]
	VST1   [V12.S4, V13.S4, V14.S4, V15.S4], (R3)
	ADD    R4, R3, R3
	WORD   $0x4f869210 // fmul v16.4s, v16.4s, v6.s[0]
	WORD   $0x4f869231 // fmul v17.4s, v17.4s, v6.s[0]
	WORD   $0x4f869252 // fmul v18.4s, v18.4s, v6.s[0]
	WORD   $0x4f869273 // fmul v19.4s, v19.4s, v6.s[0]
	VST1   [V16.S4, V17.S4, V18.S4, V19.S4], (R3)
	ADD    R4, R3, R3
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
	ADD    R4, R3, R3
	WORD   $0x4f86939c // fmul v28.4s, v28.4s, v6.s[0]
	WORD   $0x4f8693bd // fmul v29.4s, v29.4s, v6.s[0]
	WORD   $0x4f8693de // fmul v30.4s, v30.4s, v6.s[0]
	WORD   $0x4f8693ff // fmul v31.4s, v31.4s, v6.s[0]
	VST1   [V28.S4, V29.S4, V30.S4, V31.S4], (R3)
	RET

bfd_beta:
	VLD1   (R3), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4f879000 // fmul v0.4s, v0.4s, v7.s[0]
	WORD   $0x4f879021 // fmul v1.4s, v1.4s, v7.s[0]
	WORD   $0x4f879042 // fmul v2.4s, v2.4s, v7.s[0]
	WORD   $0x4f879063 // fmul v3.4s, v3.4s, v7.s[0]
	WORD   $0x4f869108 // fmul v8.4s, v8.4s, v6.s[0]
	WORD   $0x4f869129 // fmul v9.4s, v9.4s, v6.s[0]
	WORD   $0x4f86914a // fmul v10.4s, v10.4s, v6.s[0]
	WORD   $0x4f86916b // fmul v11.4s, v11.4s, v6.s[0]
	WORD   $0x4e20d508 // fadd v8.4s, v8.4s, v0.4s
	WORD   $0x4e21d529 // fadd v9.4s, v9.4s, v1.4s
	WORD   $0x4e22d54a // fadd v10.4s, v10.4s, v2.4s
	WORD   $0x4e23d56b // fadd v11.4s, v11.4s, v3.4s
	VST1   [V8.S4, V9.S4, V10.S4, V11.S4], (R3)
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4f879000 // fmul v0.4s, v0.4s, v7.s[0]
	WORD   $0x4f879021 // fmul v1.4s, v1.4s, v7.s[0]
	WORD   $0x4f879042 // fmul v2.4s, v2.4s, v7.s[0]
	WORD   $0x4f879063 // fmul v3.4s, v3.4s, v7.s[0]
	WORD   $0x4f86918c // fmul v12.4s, v12.4s, v6.s[0]
	WORD   $0x4f8691ad // fmul v13.4s, v13.4s, v6.s[0]
	WORD   $0x4f8691ce // fmul v14.4s, v14.4s, v6.s[0]
	WORD   $0x4f8691ef // fmul v15.4s, v15.4s, v6.s[0]
	WORD   $0x4e20d58c // fadd v12.4s, v12.4s, v0.4s
	WORD   $0x4e21d5ad // fadd v13.4s, v13.4s, v1.4s
	WORD   $0x4e22d5ce // fadd v14.4s, v14.4s, v2.4s
	WORD   $0x4e23d5ef // fadd v15.4s, v15.4s, v3.4s
	VST1   [V12.S4, V13.S4, V14.S4, V15.S4], (R3)
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4f879000 // fmul v0.4s, v0.4s, v7.s[0]
	WORD   $0x4f879021 // fmul v1.4s, v1.4s, v7.s[0]
	WORD   $0x4f879042 // fmul v2.4s, v2.4s, v7.s[0]
	WORD   $0x4f879063 // fmul v3.4s, v3.4s, v7.s[0]
	WORD   $0x4f869210 // fmul v16.4s, v16.4s, v6.s[0]
	WORD   $0x4f869231 // fmul v17.4s, v17.4s, v6.s[0]
	WORD   $0x4f869252 // fmul v18.4s, v18.4s, v6.s[0]
	WORD   $0x4f869273 // fmul v19.4s, v19.4s, v6.s[0]
	WORD   $0x4e20d610 // fadd v16.4s, v16.4s, v0.4s
	WORD   $0x4e21d631 // fadd v17.4s, v17.4s, v1.4s
	WORD   $0x4e22d652 // fadd v18.4s, v18.4s, v2.4s
	WORD   $0x4e23d673 // fadd v19.4s, v19.4s, v3.4s
	VST1   [V16.S4, V17.S4, V18.S4, V19.S4], (R3)
	ADD    R4, R3, R3
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
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4f879000 // fmul v0.4s, v0.4s, v7.s[0]
	WORD   $0x4f879021 // fmul v1.4s, v1.4s, v7.s[0]
	WORD   $0x4f879042 // fmul v2.4s, v2.4s, v7.s[0]
	WORD   $0x4f879063 // fmul v3.4s, v3.4s, v7.s[0]
	WORD   $0x4f86939c // fmul v28.4s, v28.4s, v6.s[0]
	WORD   $0x4f8693bd // fmul v29.4s, v29.4s, v6.s[0]
	WORD   $0x4f8693de // fmul v30.4s, v30.4s, v6.s[0]
	WORD   $0x4f8693ff // fmul v31.4s, v31.4s, v6.s[0]
	WORD   $0x4e20d79c // fadd v28.4s, v28.4s, v0.4s
	WORD   $0x4e21d7bd // fadd v29.4s, v29.4s, v1.4s
	WORD   $0x4e22d7de // fadd v30.4s, v30.4s, v2.4s
	WORD   $0x4e23d7ff // fadd v31.4s, v31.4s, v3.4s
	VST1   [V28.S4, V29.S4, V30.S4, V31.S4], (R3)
	RET
