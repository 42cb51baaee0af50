//go:build !purego

// The neon tier's integer products (no dot-product extension): a 2×16
// tile of u8×s8 sums with SMULL and SADALP, and the row quantizer.
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
// func int8MicroNEON(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int, za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)
//	Register plan: V0 V1 rows 0 and 1's four bytes, replicated to all four
//	32-bit lanes (LD1R), so that byte 4c+q pairs with column c's depth q in
//	a B register; V2..V5 the group's 64 weight bytes (columns 4r..4r+3 in
//	V(2+r)); V6 0x80 in every byte; V24..V31 16-bit products; V8..V15
//	row 0's and V16..V23 row 1's accumulators: for B register r,
//	V(8+8i+2r) holds columns 4r, 4r+1 and V(9+8i+2r) columns 4r+2, 4r+3,
//	each as two partial sums (depth 0+1, 2+3).
//	Loop structure: per group: one 64-byte load of B, two LD1R of A, two
//	EOR; for each row and B register, SMULL (low 8 bytes) and SMULL2 (high
//	8), each 8 products of |a'·v| ≤ 8192 in 16 bits, then SADALP adds
//	adjacent pairs into the 32-bit partial sums: 64 multiply-adds per row in
//	16 instructions. After the loop ADDP folds each pair of partial sums
//	into one sum per column (V24..V27 for row 0, V28..V31 for row 1), the
//	128·colSum correction is added, and the epilogue runs.
//
// func quantNEON(x *float32, n4 int, inv float32, zero int32, dst *uint8, stride int)
//	quantGo for n4 values (a multiple of 4): dst[(p/4)·stride + p%4] =
//	clamp(roundEven(x[p]·inv) + zero, 0, 255). R0 x, R1 dst, R2 left, R3
//	stride; V31 inv, V30 zero, V29 0, V28 255 (lanes); V0 four values:
//	FMUL (rounded to float32), FCVTNS (to nearest, ties to even, saturating),
//	SQADD zero, SMAX 0, SMIN 255, two XTN to bytes, one 32-bit store.
//
// func minMaxNEON(x *float32, n4 int) (lo, hi float32)
//	minMaxGo for n4 values: min(0, x...) and max(0, x...), NaN if any is
//	NaN (FMIN, FMAX and their across-lane forms propagate NaN, as Go's
//	min and max do). R0 x, R2 left; V0 lo, V1 hi, V2 values.

#include "textflag.h"

TEXT ·int8MicroNEON(SB), NOSPLIT, $0-88
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

i8n_loop:
	CBZ    R2, i8n_sum
	VLD1.P 64(R1), [V2.B16, V3.B16, V4.B16, V5.B16]
	VLD1R.P 4(R0), [V0.S4]
	VLD1R.P 4(R0), [V1.S4]
	VEOR   V6.B16, V0.B16, V0.B16
	VEOR   V6.B16, V1.B16, V1.B16
	WORD   $0x0e20c058 // smull v24.8h, v2.8b, v0.8b
	WORD   $0x4e20c059 // smull2 v25.8h, v2.16b, v0.16b
	WORD   $0x4e606b08 // sadalp v8.4s, v24.8h
	WORD   $0x4e606b29 // sadalp v9.4s, v25.8h
	WORD   $0x0e21c05a // smull v26.8h, v2.8b, v1.8b
	WORD   $0x4e21c05b // smull2 v27.8h, v2.16b, v1.16b
	WORD   $0x4e606b50 // sadalp v16.4s, v26.8h
	WORD   $0x4e606b71 // sadalp v17.4s, v27.8h
	WORD   $0x0e20c07c // smull v28.8h, v3.8b, v0.8b
	WORD   $0x4e20c07d // smull2 v29.8h, v3.16b, v0.16b
	WORD   $0x4e606b8a // sadalp v10.4s, v28.8h
	WORD   $0x4e606bab // sadalp v11.4s, v29.8h
	WORD   $0x0e21c07e // smull v30.8h, v3.8b, v1.8b
	WORD   $0x4e21c07f // smull2 v31.8h, v3.16b, v1.16b
	WORD   $0x4e606bd2 // sadalp v18.4s, v30.8h
	WORD   $0x4e606bf3 // sadalp v19.4s, v31.8h
	WORD   $0x0e20c098 // smull v24.8h, v4.8b, v0.8b
	WORD   $0x4e20c099 // smull2 v25.8h, v4.16b, v0.16b
	WORD   $0x4e606b0c // sadalp v12.4s, v24.8h
	WORD   $0x4e606b2d // sadalp v13.4s, v25.8h
	WORD   $0x0e21c09a // smull v26.8h, v4.8b, v1.8b
	WORD   $0x4e21c09b // smull2 v27.8h, v4.16b, v1.16b
	WORD   $0x4e606b54 // sadalp v20.4s, v26.8h
	WORD   $0x4e606b75 // sadalp v21.4s, v27.8h
	WORD   $0x0e20c0bc // smull v28.8h, v5.8b, v0.8b
	WORD   $0x4e20c0bd // smull2 v29.8h, v5.16b, v0.16b
	WORD   $0x4e606b8e // sadalp v14.4s, v28.8h
	WORD   $0x4e606baf // sadalp v15.4s, v29.8h
	WORD   $0x0e21c0be // smull v30.8h, v5.8b, v1.8b
	WORD   $0x4e21c0bf // smull2 v31.8h, v5.16b, v1.16b
	WORD   $0x4e606bd6 // sadalp v22.4s, v30.8h
	WORD   $0x4e606bf7 // sadalp v23.4s, v31.8h
	SUB    $1, R2
	B      i8n_loop

i8n_sum:
	VLD1   (R7), [V2.S4, V3.S4, V4.S4, V5.S4]
	VSHL   $7, V2.S4, V2.S4
	VSHL   $7, V3.S4, V3.S4
	VSHL   $7, V4.S4, V4.S4
	VSHL   $7, V5.S4, V5.S4
	WORD   $0x4ea9bd18 // addp v24.4s, v8.4s, v9.4s
	VADD   V2.S4, V24.S4, V24.S4
	WORD   $0x4eabbd59 // addp v25.4s, v10.4s, v11.4s
	VADD   V3.S4, V25.S4, V25.S4
	WORD   $0x4eadbd9a // addp v26.4s, v12.4s, v13.4s
	VADD   V4.S4, V26.S4, V26.S4
	WORD   $0x4eafbddb // addp v27.4s, v14.4s, v15.4s
	VADD   V5.S4, V27.S4, V27.S4
	WORD   $0x4eb1be1c // addp v28.4s, v16.4s, v17.4s
	VADD   V2.S4, V28.S4, V28.S4
	WORD   $0x4eb3be5d // addp v29.4s, v18.4s, v19.4s
	VADD   V3.S4, V29.S4, V29.S4
	WORD   $0x4eb5be9e // addp v30.4s, v20.4s, v21.4s
	VADD   V4.S4, V30.S4, V30.S4
	WORD   $0x4eb7bedf // addp v31.4s, v22.4s, v23.4s
	VADD   V5.S4, V31.S4, V31.S4

	CBZ    R6, i8n_raw
	VLD1   (R7), [V2.S4, V3.S4, V4.S4, V5.S4]
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

i8n_raw:
	VST1   [V24.S4, V25.S4, V26.S4, V27.S4], (R3)
	ADD    R4, R3, R3
	VST1   [V28.S4, V29.S4, V30.S4, V31.S4], (R3)
	RET

TEXT ·quantNEON(SB), NOSPLIT, $0-40
	MOVD  x+0(FP), R0
	MOVD  n4+8(FP), R2
	FMOVS inv+16(FP), F31
	MOVW  zero+20(FP), R4
	MOVD  dst+24(FP), R1
	MOVD  stride+32(FP), R3
	VDUP  V31.S[0], V31.S4
	VDUP  R4, V30.S4
	VEOR  V29.B16, V29.B16, V29.B16
	WORD  $0x4f0707fc // movi v28.4s, #0xff

quant_loop:
	CBZ    R2, quant_done
	VLD1.P 16(R0), [V0.S4]
	WORD   $0x6e3fdc00 // fmul v0.4s, v0.4s, v31.4s
	WORD   $0x4e21a800 // fcvtns v0.4s, v0.4s
	WORD   $0x4ebe0c00 // sqadd v0.4s, v0.4s, v30.4s
	WORD   $0x4ebd6400 // smax v0.4s, v0.4s, v29.4s
	WORD   $0x4ebc6c00 // smin v0.4s, v0.4s, v28.4s
	WORD   $0x0e612800 // xtn v0.4h, v0.4s
	WORD   $0x0e212800 // xtn v0.8b, v0.8h
	FMOVS  F0, (R1)
	ADD    R3, R1, R1
	SUB    $4, R2
	B      quant_loop

quant_done:
	RET

TEXT ·minMaxNEON(SB), NOSPLIT, $0-24
	MOVD x+0(FP), R0
	MOVD n4+8(FP), R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16

minmax_loop:
	CBZ    R2, minmax_done
	VLD1.P 16(R0), [V2.S4]
	WORD   $0x4ea2f400 // fmin v0.4s, v0.4s, v2.4s
	WORD   $0x4e22f421 // fmax v1.4s, v1.4s, v2.4s
	SUB    $4, R2
	B      minmax_loop

minmax_done:
	WORD  $0x6eb0f800 // fminv s0, v0.4s
	WORD  $0x6e30f821 // fmaxv s1, v1.4s
	FMOVS F0, lo+16(FP)
	FMOVS F1, hi+20(FP)
	RET
