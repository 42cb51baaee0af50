//go:build !purego

// The asimddp tier's integer products: a 6×16 tile of u8×s8 sums with SDOT
// by element (ARMv8.2 dot-product extension, FEAT_DotProd: Cortex-A76,
// Neoverse N1 and later), 16 multiply-adds per instruction.
//
// Both integer-product kernels multiply unsigned activations by signed
// weights, but NEON's byte products (SMULL, SDOT) are signed by signed. So
// each activation byte is flipped to a' = a − 128 (EOR 0x80, a signed
// byte) and 128·colSum[j] = 128·Σ_p v[j][p] is added back:
// Σ a·v = Σ a'·v + 128·Σ v, exact in int32 (|Σ a'·v| ≤ 128·64·65536 = 2²⁹).
// The epilogue is int8EpilogueGo's, step for step: t = acc − za[i]·colSum[j]
// (MLS, wrapping like Go's int32), y = float32(t)·float32(sa[i]·sw[j]) (SCVTF,
// two FMUL, each rounded), out = y + bias[j] (FADD); with sa nil the sums
// are stored as int32.
//
// Arguments (both kernels, as int8MicroGeneric's contract): kg groups of 4
// depth bytes; a, the packed activations (row i of group g at g·mr·4 + i·4);
// b, one panel of 16 weight columns (column j of group g at g·64 + j·4);
// c and ldc, the tile; za, sa, colSum, sw, bias, the epilogue's vectors
// (sa nil: raw sums; colSum is always passed).
// Registers common to both: R0 a, R1 b, R2 groups left, R3 the C row, R4
// ldc in bytes, R5 za, R6 sa, R7 colSum, R8 sw, R9 bias, R10 R11 cursors
// over sw and bias; epilogue: V0 za[i] and V1 sa[i] in every lane, V2..V5
// colSum, V6 the scale sa[i]·sw, V7 the bias.
//
// func int8MicroASIMDDP(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int, za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)
//	Register plan: V0 rows 0–3's and V1 rows 4–5's four bytes of the group
//	(a 16- and an 8-byte load); V2..V5 the group's 64 weight bytes
//	(columns 4r..4r+3, four depth bytes each, in V(2+r)); V6 0x80 in every
//	byte; V8..V31 the accumulators, row i's columns 4q..4q+3 in V(8+4i+q),
//	started at 128·colSum.
//	Loop structure: per group: three loads, two EOR, 24 SDOT
//	(V(8+4i+q) += Σ_d V(2+q)[4c+d]·row i's byte d, four columns at once):
//	384 multiply-adds in 24 instructions. Then the epilogue.

#include "textflag.h"

TEXT ·int8MicroASIMDDP(SB), NOSPLIT, $0-88
	MOVD kg+0(FP), R2
	MOVD a+8(FP), R0
	MOVD b+16(FP), R1
	MOVD c+32(FP), R3
	MOVD ldc+40(FP), R4
	LSL  $2, R4, R4
	MOVD za+48(FP), R5
	MOVD sa+56(FP), R6
	MOVD colSum+64(FP), R7
	MOVD sw+72(FP), R8
	MOVD bias+80(FP), R9
	VMOVI $0x80, V6.B16
	VLD1   (R7), [V2.S4, V3.S4, V4.S4, V5.S4]
	VSHL   $7, V2.S4, V2.S4
	VSHL   $7, V3.S4, V3.S4
	VSHL   $7, V4.S4, V4.S4
	VSHL   $7, V5.S4, V5.S4
	VMOV   V2.B16, V8.B16
	VMOV   V3.B16, V9.B16
	VMOV   V4.B16, V10.B16
	VMOV   V5.B16, V11.B16
	VMOV   V2.B16, V12.B16
	VMOV   V3.B16, V13.B16
	VMOV   V4.B16, V14.B16
	VMOV   V5.B16, V15.B16
	VMOV   V2.B16, V16.B16
	VMOV   V3.B16, V17.B16
	VMOV   V4.B16, V18.B16
	VMOV   V5.B16, V19.B16
	VMOV   V2.B16, V20.B16
	VMOV   V3.B16, V21.B16
	VMOV   V4.B16, V22.B16
	VMOV   V5.B16, V23.B16
	VMOV   V2.B16, V24.B16
	VMOV   V3.B16, V25.B16
	VMOV   V4.B16, V26.B16
	VMOV   V5.B16, V27.B16
	VMOV   V2.B16, V28.B16
	VMOV   V3.B16, V29.B16
	VMOV   V4.B16, V30.B16
	VMOV   V5.B16, V31.B16

i8d_loop:
	CBZ    R2, i8d_done
	VLD1.P 64(R1), [V2.B16, V3.B16, V4.B16, V5.B16]
	VLD1.P 16(R0), [V0.B16]
	VLD1.P 8(R0), [V1.B8]
	VEOR   V6.B16, V0.B16, V0.B16
	VEOR   V6.B16, V1.B16, V1.B16
	WORD   $0x4f80e048 // sdot v8.4s, v2.16b, v0.4b[0]
	WORD   $0x4f80e069 // sdot v9.4s, v3.16b, v0.4b[0]
	WORD   $0x4f80e08a // sdot v10.4s, v4.16b, v0.4b[0]
	WORD   $0x4f80e0ab // sdot v11.4s, v5.16b, v0.4b[0]
	WORD   $0x4fa0e04c // sdot v12.4s, v2.16b, v0.4b[1]
	WORD   $0x4fa0e06d // sdot v13.4s, v3.16b, v0.4b[1]
	WORD   $0x4fa0e08e // sdot v14.4s, v4.16b, v0.4b[1]
	WORD   $0x4fa0e0af // sdot v15.4s, v5.16b, v0.4b[1]
	WORD   $0x4f80e850 // sdot v16.4s, v2.16b, v0.4b[2]
	WORD   $0x4f80e871 // sdot v17.4s, v3.16b, v0.4b[2]
	WORD   $0x4f80e892 // sdot v18.4s, v4.16b, v0.4b[2]
	WORD   $0x4f80e8b3 // sdot v19.4s, v5.16b, v0.4b[2]
	WORD   $0x4fa0e854 // sdot v20.4s, v2.16b, v0.4b[3]
	WORD   $0x4fa0e875 // sdot v21.4s, v3.16b, v0.4b[3]
	WORD   $0x4fa0e896 // sdot v22.4s, v4.16b, v0.4b[3]
	WORD   $0x4fa0e8b7 // sdot v23.4s, v5.16b, v0.4b[3]
	WORD   $0x4f81e058 // sdot v24.4s, v2.16b, v1.4b[0]
	WORD   $0x4f81e079 // sdot v25.4s, v3.16b, v1.4b[0]
	WORD   $0x4f81e09a // sdot v26.4s, v4.16b, v1.4b[0]
	WORD   $0x4f81e0bb // sdot v27.4s, v5.16b, v1.4b[0]
	WORD   $0x4fa1e05c // sdot v28.4s, v2.16b, v1.4b[1]
	WORD   $0x4fa1e07d // sdot v29.4s, v3.16b, v1.4b[1]
	WORD   $0x4fa1e09e // sdot v30.4s, v4.16b, v1.4b[1]
	WORD   $0x4fa1e0bf // sdot v31.4s, v5.16b, v1.4b[1]
	SUB    $1, R2
	B      i8d_loop

i8d_done:
	CBZ    R6, i8d_raw
	VLD1   (R7), [V2.S4, V3.S4, V4.S4, V5.S4]
	VLD1R.P 4(R5), [V0.S4]
	VLD1R.P 4(R6), [V1.S4]
	MOVD   R8, R10
	MOVD   R9, R11
	WORD   $0x6ea09448 // mls v8.4s, v2.4s, v0.4s
	WORD   $0x4e21d908 // scvtf v8.4s, v8.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26dd08 // fmul v8.4s, v8.4s, v6.4s
	WORD   $0x4e27d508 // fadd v8.4s, v8.4s, v7.4s
	WORD   $0x6ea09469 // mls v9.4s, v3.4s, v0.4s
	WORD   $0x4e21d929 // scvtf v9.4s, v9.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26dd29 // fmul v9.4s, v9.4s, v6.4s
	WORD   $0x4e27d529 // fadd v9.4s, v9.4s, v7.4s
	WORD   $0x6ea0948a // mls v10.4s, v4.4s, v0.4s
	WORD   $0x4e21d94a // scvtf v10.4s, v10.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26dd4a // fmul v10.4s, v10.4s, v6.4s
	WORD   $0x4e27d54a // fadd v10.4s, v10.4s, v7.4s
	WORD   $0x6ea094ab // mls v11.4s, v5.4s, v0.4s
	WORD   $0x4e21d96b // scvtf v11.4s, v11.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26dd6b // fmul v11.4s, v11.4s, v6.4s
	WORD   $0x4e27d56b // fadd v11.4s, v11.4s, v7.4s
	VST1   [V8.S4, V9.S4, V10.S4, V11.S4], (R3)
	ADD    R4, R3, R3
	VLD1R.P 4(R5), [V0.S4]
	VLD1R.P 4(R6), [V1.S4]
	MOVD   R8, R10
	MOVD   R9, R11
	WORD   $0x6ea0944c // mls v12.4s, v2.4s, v0.4s
	WORD   $0x4e21d98c // scvtf v12.4s, v12.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26dd8c // fmul v12.4s, v12.4s, v6.4s
	WORD   $0x4e27d58c // fadd v12.4s, v12.4s, v7.4s
	WORD   $0x6ea0946d // mls v13.4s, v3.4s, v0.4s
	WORD   $0x4e21d9ad // scvtf v13.4s, v13.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26ddad // fmul v13.4s, v13.4s, v6.4s
	WORD   $0x4e27d5ad // fadd v13.4s, v13.4s, v7.4s
	WORD   $0x6ea0948e // mls v14.4s, v4.4s, v0.4s
	WORD   $0x4e21d9ce // scvtf v14.4s, v14.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26ddce // fmul v14.4s, v14.4s, v6.4s
	WORD   $0x4e27d5ce // fadd v14.4s, v14.4s, v7.4s
	WORD   $0x6ea094af // mls v15.4s, v5.4s, v0.4s
	WORD   $0x4e21d9ef // scvtf v15.4s, v15.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26ddef // fmul v15.4s, v15.4s, v6.4s
	WORD   $0x4e27d5ef // fadd v15.4s, v15.4s, v7.4s
	VST1   [V12.S4, V13.S4, V14.S4, V15.S4], (R3)
	ADD    R4, R3, R3
	VLD1R.P 4(R5), [V0.S4]
	VLD1R.P 4(R6), [V1.S4]
	MOVD   R8, R10
	MOVD   R9, R11
	WORD   $0x6ea09450 // mls v16.4s, v2.4s, v0.4s
	WORD   $0x4e21da10 // scvtf v16.4s, v16.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26de10 // fmul v16.4s, v16.4s, v6.4s
	WORD   $0x4e27d610 // fadd v16.4s, v16.4s, v7.4s
	WORD   $0x6ea09471 // mls v17.4s, v3.4s, v0.4s
	WORD   $0x4e21da31 // scvtf v17.4s, v17.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26de31 // fmul v17.4s, v17.4s, v6.4s
	WORD   $0x4e27d631 // fadd v17.4s, v17.4s, v7.4s
	WORD   $0x6ea09492 // mls v18.4s, v4.4s, v0.4s
	WORD   $0x4e21da52 // scvtf v18.4s, v18.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26de52 // fmul v18.4s, v18.4s, v6.4s
	WORD   $0x4e27d652 // fadd v18.4s, v18.4s, v7.4s
	WORD   $0x6ea094b3 // mls v19.4s, v5.4s, v0.4s
	WORD   $0x4e21da73 // scvtf v19.4s, v19.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26de73 // fmul v19.4s, v19.4s, v6.4s
	WORD   $0x4e27d673 // fadd v19.4s, v19.4s, v7.4s
	VST1   [V16.S4, V17.S4, V18.S4, V19.S4], (R3)
	ADD    R4, R3, R3
	VLD1R.P 4(R5), [V0.S4]
	VLD1R.P 4(R6), [V1.S4]
	MOVD   R8, R10
	MOVD   R9, R11
	WORD   $0x6ea09454 // mls v20.4s, v2.4s, v0.4s
	WORD   $0x4e21da94 // scvtf v20.4s, v20.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26de94 // fmul v20.4s, v20.4s, v6.4s
	WORD   $0x4e27d694 // fadd v20.4s, v20.4s, v7.4s
	WORD   $0x6ea09475 // mls v21.4s, v3.4s, v0.4s
	WORD   $0x4e21dab5 // scvtf v21.4s, v21.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26deb5 // fmul v21.4s, v21.4s, v6.4s
	WORD   $0x4e27d6b5 // fadd v21.4s, v21.4s, v7.4s
	WORD   $0x6ea09496 // mls v22.4s, v4.4s, v0.4s
	WORD   $0x4e21dad6 // scvtf v22.4s, v22.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26ded6 // fmul v22.4s, v22.4s, v6.4s
	WORD   $0x4e27d6d6 // fadd v22.4s, v22.4s, v7.4s
	WORD   $0x6ea094b7 // mls v23.4s, v5.4s, v0.4s
	WORD   $0x4e21daf7 // scvtf v23.4s, v23.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26def7 // fmul v23.4s, v23.4s, v6.4s
	WORD   $0x4e27d6f7 // fadd v23.4s, v23.4s, v7.4s
	VST1   [V20.S4, V21.S4, V22.S4, V23.S4], (R3)
	ADD    R4, R3, R3
	VLD1R.P 4(R5), [V0.S4]
	VLD1R.P 4(R6), [V1.S4]
	MOVD   R8, R10
	MOVD   R9, R11
	WORD   $0x6ea09458 // mls v24.4s, v2.4s, v0.4s
	WORD   $0x4e21db18 // scvtf v24.4s, v24.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26df18 // fmul v24.4s, v24.4s, v6.4s
	WORD   $0x4e27d718 // fadd v24.4s, v24.4s, v7.4s
	WORD   $0x6ea09479 // mls v25.4s, v3.4s, v0.4s
	WORD   $0x4e21db39 // scvtf v25.4s, v25.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26df39 // fmul v25.4s, v25.4s, v6.4s
	WORD   $0x4e27d739 // fadd v25.4s, v25.4s, v7.4s
	WORD   $0x6ea0949a // mls v26.4s, v4.4s, v0.4s
	WORD   $0x4e21db5a // scvtf v26.4s, v26.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26df5a // fmul v26.4s, v26.4s, v6.4s
	WORD   $0x4e27d75a // fadd v26.4s, v26.4s, v7.4s
	WORD   $0x6ea094bb // mls v27.4s, v5.4s, v0.4s
	WORD   $0x4e21db7b // scvtf v27.4s, v27.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26df7b // fmul v27.4s, v27.4s, v6.4s
	WORD   $0x4e27d77b // fadd v27.4s, v27.4s, v7.4s
	VST1   [V24.S4, V25.S4, V26.S4, V27.S4], (R3)
	ADD    R4, R3, R3
	VLD1R.P 4(R5), [V0.S4]
	VLD1R.P 4(R6), [V1.S4]
	MOVD   R8, R10
	MOVD   R9, R11
	WORD   $0x6ea0945c // mls v28.4s, v2.4s, v0.4s
	WORD   $0x4e21db9c // scvtf v28.4s, v28.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26df9c // fmul v28.4s, v28.4s, v6.4s
	WORD   $0x4e27d79c // fadd v28.4s, v28.4s, v7.4s
	WORD   $0x6ea0947d // mls v29.4s, v3.4s, v0.4s
	WORD   $0x4e21dbbd // scvtf v29.4s, v29.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26dfbd // fmul v29.4s, v29.4s, v6.4s
	WORD   $0x4e27d7bd // fadd v29.4s, v29.4s, v7.4s
	WORD   $0x6ea0949e // mls v30.4s, v4.4s, v0.4s
	WORD   $0x4e21dbde // scvtf v30.4s, v30.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26dfde // fmul v30.4s, v30.4s, v6.4s
	WORD   $0x4e27d7de // fadd v30.4s, v30.4s, v7.4s
	WORD   $0x6ea094bf // mls v31.4s, v5.4s, v0.4s
	WORD   $0x4e21dbff // scvtf v31.4s, v31.4s
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V7.S4]
	WORD   $0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD   $0x6e26dfff // fmul v31.4s, v31.4s, v6.4s
	WORD   $0x4e27d7ff // fadd v31.4s, v31.4s, v7.4s
	VST1   [V28.S4, V29.S4, V30.S4, V31.S4], (R3)
	RET

i8d_raw:
	VST1   [V8.S4, V9.S4, V10.S4, V11.S4], (R3)
	ADD    R4, R3, R3
	VST1   [V12.S4, V13.S4, V14.S4, V15.S4], (R3)
	ADD    R4, R3, R3
	VST1   [V16.S4, V17.S4, V18.S4, V19.S4], (R3)
	ADD    R4, R3, R3
	VST1   [V20.S4, V21.S4, V22.S4, V23.S4], (R3)
	ADD    R4, R3, R3
	VST1   [V24.S4, V25.S4, V26.S4, V27.S4], (R3)
	ADD    R4, R3, R3
	VST1   [V28.S4, V29.S4, V30.S4, V31.S4], (R3)
	RET
