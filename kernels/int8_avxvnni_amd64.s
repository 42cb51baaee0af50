//go:build !purego

// AVX-VNNI integer micro-kernel: a 6×16 tile of u8×s8 sums in YMM registers.
//
// func int8MicroAVXVNNI(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int,
//	za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)
//
// For CPUs with the VEX-encoded VPDPBUSD (AVX-VNNI: Intel Alder Lake and
// later clients, Sapphire Rapids, AMD Zen 5) whether or not they have
// AVX-512. a is a packed A panel: for each depth group g < kg, 6 rows × 4
// unsigned bytes (24 bytes); b one packed B panel of 16 columns: for each g,
// 16 columns × 4 signed bytes (64 bytes, two YMM registers); bstride is
// unused. For i < 6 and j < 16,
//
//	acc[i][j] = Σ_g Σ_q a[g·24 + i·4 + q] · b[g·64 + j·4 + q]
//
// exactly (VPDPBUSD does not saturate). With sa nil the sums are stored as
// int32; otherwise they are dequantized as int8.go's Go epilogue does, with
// the same operations in the same order (VPMULLD, VPSUBD, VCVTDQ2PS, VMULPS,
// VMULPS, VADDPS), so the results equal the generic tier's bit for bit.
//
// Go's assembler knows VPDPBUSD only in its EVEX form (AVX512-VNNI), so the
// VEX form is written as bytes, each line commented with the instruction in
// Go's operand order (src2 signed, src1 unsigned, dst). The encoding is
// C4 [R̄ 1 B̄ 00010] [0 v̄v̄v̄v̄ 1 01] 50 [11 dst src2] (VEX.256.66.0F38.W0 50 /r);
// asmscan_test.go re-derives every such line's bytes from its comment.
//
// Register plan:
//	CX       remaining depth groups
//	SI       a cursor (advances 24 bytes per group)
//	DI       b cursor (advances 64 bytes per group)
//	DX       c row pointer; BX ldc in bytes
//	R9..R13  za, sa, colSum, sw, bias (epilogue)
//	Y0..Y11  accumulators: row i, columns 0..7 in Y(2i), 8..15 in Y(2i+1)
//	Y12,Y13  b group g, columns 0..7 and 8..15
//	Y14,Y15  a row's 4 bytes broadcast, alternating; epilogue scratch
//
// Loop structure:
//	zero Y0..Y11
//	loop: for each depth group: 2 loads of b, 6 broadcasts, 12 VPDPBUSD
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

TEXT ·int8MicroAVXVNNI(SB), NOSPLIT, $0-88
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
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	TESTQ CX, CX
	JZ    epilogue

loop:
	VMOVDQU (DI), Y12
	VMOVDQU 32(DI), Y13
	VPBROADCASTD 0(SI), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y0 (VEX)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xcd // VPDPBUSD Y13, Y14, Y1 (VEX)
	VPBROADCASTD 4(SI), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xd4 // VPDPBUSD Y12, Y15, Y2 (VEX)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xdd // VPDPBUSD Y13, Y15, Y3 (VEX)
	VPBROADCASTD 8(SI), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xe4 // VPDPBUSD Y12, Y14, Y4 (VEX)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xed // VPDPBUSD Y13, Y14, Y5 (VEX)
	VPBROADCASTD 12(SI), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xf4 // VPDPBUSD Y12, Y15, Y6 (VEX)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xfd // VPDPBUSD Y13, Y15, Y7 (VEX)
	VPBROADCASTD 16(SI), Y14
	BYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y8 (VEX)
	BYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xcd // VPDPBUSD Y13, Y14, Y9 (VEX)
	VPBROADCASTD 20(SI), Y15
	BYTE $0xc4; BYTE $0x42; BYTE $0x05; BYTE $0x50; BYTE $0xd4 // VPDPBUSD Y12, Y15, Y10 (VEX)
	BYTE $0xc4; BYTE $0x42; BYTE $0x05; BYTE $0x50; BYTE $0xdd // VPDPBUSD Y13, Y15, Y11 (VEX)
	ADDQ $24, SI
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
	STOREI(Y8, Y9)
	STOREI(Y10, Y11)
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
	STOREF(16, Y8, Y9)
	STOREF(20, Y10, Y11)
	VZEROUPPER
	RET
