//go:build !purego

// AVX2 integer micro-kernel (no VNNI): a 4×16 tile of u8×s8 sums in YMM
// registers.
//
// func int8MicroAVX2(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int,
//	za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)
//
// a is a packed A panel: for each depth group g < kg, 4 rows × 4 unsigned
// bytes (16 bytes); b one packed B panel of 16 columns: for each g, 16
// columns × 4 signed bytes (64 bytes, two YMM registers); bstride is unused.
// For i < 4 and j < 16,
//
//	acc[i][j] = Σ_g Σ_q a[g·16 + i·4 + q] · b[g·64 + j·4 + q]
//
// Each group's four products per lane take three instructions: VPMADDUBSW
// multiplies unsigned by signed bytes and adds adjacent pairs into int16
// with saturation, VPMADDWD against int16 ones adds adjacent int16 pairs
// into int32 (exact), VPADDD accumulates. The int16 step is exact because
// weights are in [−64, 64] (int8.go): |a0·b0 + a1·b1| ≤ 2·255·64 = 32640 <
// 32767, so the sums equal the VNNI tiers' and the generic tier's bit for
// bit. With sa nil the sums are stored as int32; otherwise they are
// dequantized as int8.go's Go epilogue does, operation for operation.
//
// Register plan:
//	CX       remaining depth groups
//	SI       a cursor (advances 16 bytes per group)
//	DI       b cursor (advances 64 bytes per group)
//	DX       c row pointer; BX ldc in bytes
//	R9..R13  za, sa, colSum, sw, bias (epilogue)
//	Y0..Y7   accumulators: row i, columns 0..7 in Y(2i), 8..15 in Y(2i+1)
//	Y8,Y9    b group g, columns 0..7 and 8..15
//	Y10      a row's 4 bytes broadcast
//	Y11      int16 ones
//	Y12,Y13  products; Y14,Y15 epilogue scratch
//
// Loop structure:
//	zero Y0..Y7, set Y11 to ones
//	loop: for each depth group: 2 loads of b, 4 broadcasts, 24 integer ops
//	epilogue: store int32 rows, or dequantize and store float32 rows

#include "textflag.h"


// STOREI(lo, hi) stores one row of int32 sums and moves DX on.
#define STOREI(lo, hi) \
	VMOVDQU lo, (DX)   \
	VMOVDQU hi, 32(DX) \
	ADDQ    BX, DX

// STOREF(off, lo, hi) dequantizes one row (za and sa at byte offset off;
// colSum, sw and bias read from memory at R11, R12, R13) and stores it as
// float32, then moves DX on.
#define STOREF(off, lo, hi) \
	VPBROADCASTD off(R9), Y14   \
	VPMULLD      (R11), Y14, Y15 \
	VPSUBD       Y15, lo, lo    \
	VPMULLD      32(R11), Y14, Y15 \
	VPSUBD       Y15, hi, hi    \
	VCVTDQ2PS    lo, lo         \
	VCVTDQ2PS    hi, hi         \
	VBROADCASTSS off(R10), Y14  \
	VMULPS       (R12), Y14, Y15 \
	VMULPS       Y15, lo, lo    \
	VMULPS       32(R12), Y14, Y15 \
	VMULPS       Y15, hi, hi    \
	VADDPS       (R13), lo, lo  \
	VADDPS       32(R13), hi, hi \
	VMOVUPS      lo, (DX)       \
	VMOVUPS      hi, 32(DX)     \
	ADDQ         BX, DX

TEXT ·int8MicroAVX2(SB), NOSPLIT, $0-88
	MOVQ kg+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), BX
	SHLQ $2, BX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	VPCMPEQW Y11, Y11, Y11
	VPSRLW   $15, Y11, Y11
	TESTQ    CX, CX
	JZ       epilogue

loop:
	VMOVDQU (DI), Y8
	VMOVDQU 32(DI), Y9
	VPBROADCASTD 0(SI), Y10
	VPMADDUBSW   Y8, Y10, Y12
	VPMADDWD     Y11, Y12, Y12
	VPADDD       Y12, Y0, Y0
	VPMADDUBSW   Y9, Y10, Y13
	VPMADDWD     Y11, Y13, Y13
	VPADDD       Y13, Y1, Y1
	VPBROADCASTD 4(SI), Y10
	VPMADDUBSW   Y8, Y10, Y12
	VPMADDWD     Y11, Y12, Y12
	VPADDD       Y12, Y2, Y2
	VPMADDUBSW   Y9, Y10, Y13
	VPMADDWD     Y11, Y13, Y13
	VPADDD       Y13, Y3, Y3
	VPBROADCASTD 8(SI), Y10
	VPMADDUBSW   Y8, Y10, Y12
	VPMADDWD     Y11, Y12, Y12
	VPADDD       Y12, Y4, Y4
	VPMADDUBSW   Y9, Y10, Y13
	VPMADDWD     Y11, Y13, Y13
	VPADDD       Y13, Y5, Y5
	VPBROADCASTD 12(SI), Y10
	VPMADDUBSW   Y8, Y10, Y12
	VPMADDWD     Y11, Y12, Y12
	VPADDD       Y12, Y6, Y6
	VPMADDUBSW   Y9, Y10, Y13
	VPMADDWD     Y11, Y13, Y13
	VPADDD       Y13, Y7, Y7
	ADDQ $16, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop

epilogue:
	MOVQ  sa+56(FP), R10
	TESTQ R10, R10
	JNZ   dequantize
	STOREI(Y0, Y1)
	STOREI(Y2, Y3)
	STOREI(Y4, Y5)
	STOREI(Y6, Y7)
	VZEROUPPER
	RET

dequantize:
	MOVQ za+48(FP), R9
	MOVQ colSum+64(FP), R11
	MOVQ sw+72(FP), R12
	MOVQ bias+80(FP), R13
	STOREF(0, Y0, Y1)
	STOREF(4, Y2, Y3)
	STOREF(8, Y4, Y5)
	STOREF(12, Y6, Y7)
	VZEROUPPER
	RET
