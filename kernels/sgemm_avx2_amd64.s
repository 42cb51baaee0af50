//go:build !purego

// AVX2+FMA SGEMM micro-kernel: a 6×16 tile of C in registers.
//
// func sgemmMicroAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)
//
// a is a packed A micro-panel (for each p < k, 6 values: rows 0..5 of column
// p), b a packed B micro-panel (for each p < k, 16 values: columns 0..15 of
// row p). The kernel computes, for i < 6 and j < 16,
//
//	c[i*ldc+j] = float32(alpha·Σ_p a[p*6+i]·b[p*16+j]) + float32(beta·c[i*ldc+j])
//
// and c[i*ldc+j] = alpha·Σ without reading c when beta is ±0.
//
// Register plan:
//	SI      a cursor (advances 24 bytes per p)
//	DI      b cursor (advances 64 bytes per p)
//	CX      remaining depth k
//	DX      c row pointer (epilogue)
//	R8      ldc in bytes
//	AX      beta's bits (epilogue test for zero)
//	Y0..Y11 accumulators: row i, columns 0..7 in Y(2i), columns 8..15 in Y(2i+1)
//	Y12,Y13 b row p, columns 0..7 and 8..15
//	Y14,Y15 a[p*6+i] broadcast, alternating so loads overlap the FMAs
//
// Loop structure:
//	zero Y0..Y11
//	loop4: while k >= 4: four rank-1 updates (12 FMAs each), unrolled
//	loop1: while k >= 1: one rank-1 update
//	epilogue: scale by alpha; if beta != 0 add beta·c; store six rows
//
// func sgemmMicroRowsAVX2(k int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)
//
// The same tile with A read in place instead of packed: rows i < 6 of A
// start at a + i*lda, and a[i*lda+p] replaces the packed a[p*6+i]. It saves
// packing A when the packed copy would be used only a few times.
// Register plan as above, except: SI row 0 of A, R12 row 3 of A (rows 1, 2,
// 4, 5 are reached as SI+R9, SI+2·R9, R12+R9, R12+2·R9), R9 lda in bytes;
// both A pointers advance 4 bytes per p.

#include "textflag.h"

// RANK1(ao, bo) adds the outer product of a[ao/4 .. ao/4+5] (byte offset ao
// from SI) and b[bo/4 .. bo/4+15] (byte offset bo from DI) to Y0..Y11.
#define RANK1(ao, bo) \
	VMOVUPS      bo(DI), Y12       \
	VMOVUPS      bo+32(DI), Y13    \
	VBROADCASTSS ao(SI), Y14       \
	VFMADD231PS  Y12, Y14, Y0      \
	VFMADD231PS  Y13, Y14, Y1      \
	VBROADCASTSS ao+4(SI), Y15     \
	VFMADD231PS  Y12, Y15, Y2      \
	VFMADD231PS  Y13, Y15, Y3      \
	VBROADCASTSS ao+8(SI), Y14     \
	VFMADD231PS  Y12, Y14, Y4      \
	VFMADD231PS  Y13, Y14, Y5      \
	VBROADCASTSS ao+12(SI), Y15    \
	VFMADD231PS  Y12, Y15, Y6      \
	VFMADD231PS  Y13, Y15, Y7      \
	VBROADCASTSS ao+16(SI), Y14    \
	VFMADD231PS  Y12, Y14, Y8      \
	VFMADD231PS  Y13, Y14, Y9      \
	VBROADCASTSS ao+20(SI), Y15    \
	VFMADD231PS  Y12, Y15, Y10     \
	VFMADD231PS  Y13, Y15, Y11

// RANK1ROWS(ao, bo) is RANK1 with A read in place: a[i*lda + ao/4] for
// i < 6, rows 0..2 from SI and 3..5 from R12, row stride R9.
#define RANK1ROWS(ao, bo) \
	VMOVUPS      bo(DI), Y12        \
	VMOVUPS      bo+32(DI), Y13     \
	VBROADCASTSS ao(SI), Y14        \
	VFMADD231PS  Y12, Y14, Y0       \
	VFMADD231PS  Y13, Y14, Y1       \
	VBROADCASTSS ao(SI)(R9*1), Y15  \
	VFMADD231PS  Y12, Y15, Y2       \
	VFMADD231PS  Y13, Y15, Y3       \
	VBROADCASTSS ao(SI)(R9*2), Y14  \
	VFMADD231PS  Y12, Y14, Y4       \
	VFMADD231PS  Y13, Y14, Y5       \
	VBROADCASTSS ao(R12), Y15       \
	VFMADD231PS  Y12, Y15, Y6       \
	VFMADD231PS  Y13, Y15, Y7       \
	VBROADCASTSS ao(R12)(R9*1), Y14 \
	VFMADD231PS  Y12, Y14, Y8       \
	VFMADD231PS  Y13, Y14, Y9       \
	VBROADCASTSS ao(R12)(R9*2), Y15 \
	VFMADD231PS  Y12, Y15, Y10      \
	VFMADD231PS  Y13, Y15, Y11

// ZERO12 clears the twelve accumulators.
#define ZERO12 \
	VXORPS Y0, Y0, Y0    \
	VXORPS Y1, Y1, Y1    \
	VXORPS Y2, Y2, Y2    \
	VXORPS Y3, Y3, Y3    \
	VXORPS Y4, Y4, Y4    \
	VXORPS Y5, Y5, Y5    \
	VXORPS Y6, Y6, Y6    \
	VXORPS Y7, Y7, Y7    \
	VXORPS Y8, Y8, Y8    \
	VXORPS Y9, Y9, Y9    \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11

// STORE0(lo, hi) writes alpha·acc (alpha in Y12) for one row and moves DX on.
#define STORE0(lo, hi) \
	VMULPS  Y12, lo, lo  \
	VMULPS  Y12, hi, hi  \
	VMOVUPS lo, (DX)     \
	VMOVUPS hi, 32(DX)   \
	ADDQ    R8, DX

// STOREB(lo, hi) writes alpha·acc + beta·c (alpha in Y12, beta in Y13) for
// one row and moves DX on.
#define STOREB(lo, hi) \
	VMULPS  Y12, lo, lo      \
	VMULPS  Y12, hi, hi      \
	VMULPS  (DX), Y13, Y14   \
	VMULPS  32(DX), Y13, Y15 \
	VADDPS  Y14, lo, lo      \
	VADDPS  Y15, hi, hi      \
	VMOVUPS lo, (DX)         \
	VMOVUPS hi, 32(DX)       \
	ADDQ    R8, DX

// STOREALL0 and STOREALLB store all six rows of the tile.
#define STOREALL0 \
	STORE0(Y0, Y1)   \
	STORE0(Y2, Y3)   \
	STORE0(Y4, Y5)   \
	STORE0(Y6, Y7)   \
	STORE0(Y8, Y9)   \
	STORE0(Y10, Y11)

#define STOREALLB \
	STOREB(Y0, Y1)   \
	STOREB(Y2, Y3)   \
	STOREB(Y4, Y5)   \
	STOREB(Y6, Y7)   \
	STOREB(Y8, Y9)   \
	STOREB(Y10, Y11)

TEXT ·sgemmMicroAVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	ZERO12

loop4:
	CMPQ CX, $4
	JLT  loop1
	RANK1(0, 0)
	RANK1(24, 64)
	RANK1(48, 128)
	RANK1(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	SUBQ $4, CX
	JMP  loop4

loop1:
	TESTQ CX, CX
	JZ    epilogue
	RANK1(0, 0)
	ADDQ  $24, SI
	ADDQ  $64, DI
	DECQ  CX
	JMP   loop1

epilogue:
	VBROADCASTSS alpha+40(FP), Y12
	MOVL         beta+44(FP), AX
	SHLL         $1, AX            // drop the sign: -0 counts as 0
	JNZ          withbeta
	STOREALL0
	VZEROUPPER
	RET

withbeta:
	VBROADCASTSS beta+44(FP), Y13
	STOREALLB
	VZEROUPPER
	RET

TEXT ·sgemmMicroRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9
	LEAQ (SI)(R9*2), R12
	ADDQ R9, R12
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	ZERO12

rows_loop4:
	CMPQ CX, $4
	JLT  rows_loop1
	RANK1ROWS(0, 0)
	RANK1ROWS(4, 64)
	RANK1ROWS(8, 128)
	RANK1ROWS(12, 192)
	ADDQ $16, SI
	ADDQ $16, R12
	ADDQ $256, DI
	SUBQ $4, CX
	JMP  rows_loop4

rows_loop1:
	TESTQ CX, CX
	JZ    rows_epilogue
	RANK1ROWS(0, 0)
	ADDQ  $4, SI
	ADDQ  $4, R12
	ADDQ  $64, DI
	DECQ  CX
	JMP   rows_loop1

rows_epilogue:
	VBROADCASTSS alpha+48(FP), Y12
	MOVL         beta+52(FP), AX
	SHLL         $1, AX
	JNZ          rows_withbeta
	STOREALL0
	VZEROUPPER
	RET

rows_withbeta:
	VBROADCASTSS beta+52(FP), Y13
	STOREALLB
	VZEROUPPER
	RET
