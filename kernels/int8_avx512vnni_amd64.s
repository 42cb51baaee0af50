//go:build !purego

// AVX512-VNNI integer micro-kernel: a 12×32 tile of u8×s8 sums in registers.
//
// func int8MicroAVX512VNNI(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int,
//	za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)
//
// a is a packed A panel: for each depth group g < kg, 12 rows × 4 unsigned
// bytes (48 bytes). b is two packed B panels of 16 columns, the second
// bstride bytes after the first: for each g, 16 columns × 4 signed bytes
// (64 bytes, one ZMM register). VPDPBUSD multiplies the 4 bytes of a row,
// broadcast to every lane, with each column's 4 bytes and adds the four
// products to the column's int32 lane, exactly (no saturation). So, for
// i < 12 and j < 32,
//
//	acc[i][j] = Σ_g Σ_q a[g·48 + i·4 + q] · b[(j/16)·bstride + g·64 + (j%16)·4 + q]
//
// With sa nil the sums are stored as int32 at c (row stride ldc elements).
// Otherwise each is dequantized as the Go epilogue does (int8.go):
//
//	c[i][j] = float32(float32(acc − za[i]·colSum[j]) · float32(sa[i]·sw[j])) + bias[j]
//
// with VPMULLD/VPSUBD (exact int32), VCVTDQ2PS (round to nearest even, as Go's
// conversion), and separate VMULPS, VMULPS, VADDPS (no FMA), so every result
// equals the generic tier's bit for bit.
//
// Register plan:
//	CX       remaining depth groups
//	SI       a cursor (advances 48 bytes per group)
//	DI, R8   b cursors for the two panels (advance 64 bytes per group)
//	DX       c row pointer; BX ldc in bytes
//	R9..R13  za, sa, colSum, sw, bias (epilogue)
//	Z0..Z23  accumulators: row i, columns 0..15 in Z(2i), 16..31 in Z(2i+1)
//	Z24,Z25  b group g of panels 0 and 1
//	Z26,Z27  a row's 4 bytes broadcast, alternating
//	epilogue: Z24,Z25 colSum; Z26,Z27 sw; Z28,Z29 bias; Z30,Z31 scratch
//
// Loop structure:
//	zero Z0..Z23
//	loop: for each depth group: 2 loads of b, 12 broadcasts, 24 VPDPBUSD
//	epilogue: store int32 rows, or dequantize and store float32 rows

#include "textflag.h"

// GROUP adds one depth group's products to Z0..Z23.
#define GROUP \
	VMOVDQU32    (DI), Z24 \
	VMOVDQU32    (R8), Z25 \
	VPBROADCASTD 0(SI), Z26 \
	VPDPBUSD     Z24, Z26, Z0 \
	VPDPBUSD     Z25, Z26, Z1 \
	VPBROADCASTD 4(SI), Z27 \
	VPDPBUSD     Z24, Z27, Z2 \
	VPDPBUSD     Z25, Z27, Z3 \
	VPBROADCASTD 8(SI), Z26 \
	VPDPBUSD     Z24, Z26, Z4 \
	VPDPBUSD     Z25, Z26, Z5 \
	VPBROADCASTD 12(SI), Z27 \
	VPDPBUSD     Z24, Z27, Z6 \
	VPDPBUSD     Z25, Z27, Z7 \
	VPBROADCASTD 16(SI), Z26 \
	VPDPBUSD     Z24, Z26, Z8 \
	VPDPBUSD     Z25, Z26, Z9 \
	VPBROADCASTD 20(SI), Z27 \
	VPDPBUSD     Z24, Z27, Z10 \
	VPDPBUSD     Z25, Z27, Z11 \
	VPBROADCASTD 24(SI), Z26 \
	VPDPBUSD     Z24, Z26, Z12 \
	VPDPBUSD     Z25, Z26, Z13 \
	VPBROADCASTD 28(SI), Z27 \
	VPDPBUSD     Z24, Z27, Z14 \
	VPDPBUSD     Z25, Z27, Z15 \
	VPBROADCASTD 32(SI), Z26 \
	VPDPBUSD     Z24, Z26, Z16 \
	VPDPBUSD     Z25, Z26, Z17 \
	VPBROADCASTD 36(SI), Z27 \
	VPDPBUSD     Z24, Z27, Z18 \
	VPDPBUSD     Z25, Z27, Z19 \
	VPBROADCASTD 40(SI), Z26 \
	VPDPBUSD     Z24, Z26, Z20 \
	VPDPBUSD     Z25, Z26, Z21 \
	VPBROADCASTD 44(SI), Z27 \
	VPDPBUSD     Z24, Z27, Z22 \
	VPDPBUSD     Z25, Z27, Z23

// STOREI(lo, hi) stores one row of int32 sums and moves DX on.
#define STOREI(lo, hi) \
	VMOVDQU32 lo, (DX)   \
	VMOVDQU32 hi, 64(DX) \
	ADDQ      BX, DX

// STOREF(off, lo, hi) dequantizes one row (za and sa at byte offset off)
// and stores it as float32, then moves DX on.
#define STOREF(off, lo, hi) \
	VPBROADCASTD off(R9), Z30  \
	VPMULLD      Z24, Z30, Z31 \
	VPSUBD       Z31, lo, lo   \
	VPMULLD      Z25, Z30, Z31 \
	VPSUBD       Z31, hi, hi   \
	VCVTDQ2PS    lo, lo        \
	VCVTDQ2PS    hi, hi        \
	VBROADCASTSS off(R10), Z30 \
	VMULPS       Z26, Z30, Z31 \
	VMULPS       Z31, lo, lo   \
	VMULPS       Z27, Z30, Z31 \
	VMULPS       Z31, hi, hi   \
	VADDPS       Z28, lo, lo   \
	VADDPS       Z29, hi, hi   \
	VMOVUPS      lo, (DX)      \
	VMOVUPS      hi, 64(DX)    \
	ADDQ         BX, DX

TEXT ·int8MicroAVX512VNNI(SB), NOSPLIT, $0-88
	MOVQ kg+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ bstride+24(FP), R8
	ADDQ DI, R8
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), BX
	SHLQ $2, BX

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	TESTQ CX, CX
	JZ    epilogue

loop:
	GROUP
	ADDQ $48, SI
	ADDQ $64, DI
	ADDQ $64, R8
	DECQ CX
	JNZ  loop

epilogue:
	MOVQ  sa+56(FP), R10
	TESTQ R10, R10
	JNZ   dequantize
	STOREI(Z0, Z1)
	STOREI(Z2, Z3)
	STOREI(Z4, Z5)
	STOREI(Z6, Z7)
	STOREI(Z8, Z9)
	STOREI(Z10, Z11)
	STOREI(Z12, Z13)
	STOREI(Z14, Z15)
	STOREI(Z16, Z17)
	STOREI(Z18, Z19)
	STOREI(Z20, Z21)
	STOREI(Z22, Z23)
	VZEROUPPER
	RET

dequantize:
	MOVQ      za+48(FP), R9
	MOVQ      colSum+64(FP), R11
	MOVQ      sw+72(FP), R12
	MOVQ      bias+80(FP), R13
	VMOVDQU32 (R11), Z24
	VMOVDQU32 64(R11), Z25
	VMOVUPS   (R12), Z26
	VMOVUPS   64(R12), Z27
	VMOVUPS   (R13), Z28
	VMOVUPS   64(R13), Z29
	STOREF(0, Z0, Z1)
	STOREF(4, Z2, Z3)
	STOREF(8, Z4, Z5)
	STOREF(12, Z6, Z7)
	STOREF(16, Z8, Z9)
	STOREF(20, Z10, Z11)
	STOREF(24, Z12, Z13)
	STOREF(28, Z14, Z15)
	STOREF(32, Z16, Z17)
	STOREF(36, Z18, Z19)
	STOREF(40, Z20, Z21)
	STOREF(44, Z22, Z23)
	VZEROUPPER
	RET
