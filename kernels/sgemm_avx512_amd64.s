//go:build !purego

// AVX-512F SGEMM micro-kernel: a 12×32 tile of C in registers.
//
// func sgemmMicroAVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)
//
// a is a packed A micro-panel (for each p < k, 12 values: rows 0..11 of
// column p), b a packed B micro-panel (for each p < k, 32 values: columns
// 0..31 of row p). The kernel computes, for i < 12 and j < 32,
//
//	c[i*ldc+j] = float32(alpha·Σ_p a[p*12+i]·b[p*32+j]) + float32(beta·c[i*ldc+j])
//
// and c[i*ldc+j] = alpha·Σ without reading c when beta is ±0.
//
// Verified against the float64 reference on AMD Zen 4; opt-in
// (RRRA_KERNELS=avx512) until it measures faster than avx2 somewhere.
//
// Register plan:
//	SI       a cursor (advances 48 bytes per p)
//	DI       b cursor (advances 128 bytes per p)
//	CX       remaining depth k
//	DX       c row pointer (epilogue)
//	R8       ldc in bytes
//	AX       beta's bits (epilogue test for zero)
//	Z0..Z23  accumulators: row i, columns 0..15 in Z(2i), 16..31 in Z(2i+1)
//	Z24,Z25  b row p, columns 0..15 and 16..31
//	Z26,Z27  a[p*12+i] broadcast, alternating; Z28..Z31 epilogue scratch
//
// Loop structure:
//	zero Z0..Z23
//	loop4: while k >= 4: four rank-1 updates (24 FMAs each), unrolled
//	loop1: while k >= 1: one rank-1 update
//	epilogue: scale by alpha; if beta != 0 add beta·c; store twelve rows
//
// func sgemmMicroRowsAVX512(k int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)
//
// The same tile with A read in place instead of packed: rows i < 12 of A
// start at a + i*lda, and a[i*lda+p] replaces the packed a[p*12+i], so a
// narrow product (attention's P·V, say) does not transpose A into a panel
// it would use a few times. The same FMAs in the same order as the packed
// kernel, so the results are the same bit for bit.
// Register plan as above, except: SI, R12, R13, R10 rows 0, 3, 6 and 9 of
// A (rows 1, 2 after each at +R9 and +2·R9), R9 lda in bytes; the four A
// pointers advance 4 bytes per p.

#include "textflag.h"

// RANK1(ao, bo) adds the outer product of a[ao/4 .. ao/4+11] (byte offset
// ao from SI) and b[bo/4 .. bo/4+31] (byte offset bo from DI) to Z0..Z23.
#define RANK1(ao, bo) \
	VMOVUPS      bo(DI), Z24 \
	VMOVUPS      bo+64(DI), Z25 \
	VBROADCASTSS ao+0(SI), Z26 \
	VFMADD231PS  Z24, Z26, Z0 \
	VFMADD231PS  Z25, Z26, Z1 \
	VBROADCASTSS ao+4(SI), Z27 \
	VFMADD231PS  Z24, Z27, Z2 \
	VFMADD231PS  Z25, Z27, Z3 \
	VBROADCASTSS ao+8(SI), Z26 \
	VFMADD231PS  Z24, Z26, Z4 \
	VFMADD231PS  Z25, Z26, Z5 \
	VBROADCASTSS ao+12(SI), Z27 \
	VFMADD231PS  Z24, Z27, Z6 \
	VFMADD231PS  Z25, Z27, Z7 \
	VBROADCASTSS ao+16(SI), Z26 \
	VFMADD231PS  Z24, Z26, Z8 \
	VFMADD231PS  Z25, Z26, Z9 \
	VBROADCASTSS ao+20(SI), Z27 \
	VFMADD231PS  Z24, Z27, Z10 \
	VFMADD231PS  Z25, Z27, Z11 \
	VBROADCASTSS ao+24(SI), Z26 \
	VFMADD231PS  Z24, Z26, Z12 \
	VFMADD231PS  Z25, Z26, Z13 \
	VBROADCASTSS ao+28(SI), Z27 \
	VFMADD231PS  Z24, Z27, Z14 \
	VFMADD231PS  Z25, Z27, Z15 \
	VBROADCASTSS ao+32(SI), Z26 \
	VFMADD231PS  Z24, Z26, Z16 \
	VFMADD231PS  Z25, Z26, Z17 \
	VBROADCASTSS ao+36(SI), Z27 \
	VFMADD231PS  Z24, Z27, Z18 \
	VFMADD231PS  Z25, Z27, Z19 \
	VBROADCASTSS ao+40(SI), Z26 \
	VFMADD231PS  Z24, Z26, Z20 \
	VFMADD231PS  Z25, Z26, Z21 \
	VBROADCASTSS ao+44(SI), Z27 \
	VFMADD231PS  Z24, Z27, Z22 \
	VFMADD231PS  Z25, Z27, Z23

// RANK1ROWS(ao, bo) is RANK1 with A read in place: a[i*lda + ao/4] for row
// i, from the four row pointers.
#define RANK1ROWS(ao, bo) \
	VMOVUPS      bo(DI), Z24 \
	VMOVUPS      bo+64(DI), Z25 \
	VBROADCASTSS ao(SI), Z26 \
	VFMADD231PS  Z24, Z26, Z0 \
	VFMADD231PS  Z25, Z26, Z1 \
	VBROADCASTSS ao(SI)(R9*1), Z27 \
	VFMADD231PS  Z24, Z27, Z2 \
	VFMADD231PS  Z25, Z27, Z3 \
	VBROADCASTSS ao(SI)(R9*2), Z26 \
	VFMADD231PS  Z24, Z26, Z4 \
	VFMADD231PS  Z25, Z26, Z5 \
	VBROADCASTSS ao(R12), Z27 \
	VFMADD231PS  Z24, Z27, Z6 \
	VFMADD231PS  Z25, Z27, Z7 \
	VBROADCASTSS ao(R12)(R9*1), Z26 \
	VFMADD231PS  Z24, Z26, Z8 \
	VFMADD231PS  Z25, Z26, Z9 \
	VBROADCASTSS ao(R12)(R9*2), Z27 \
	VFMADD231PS  Z24, Z27, Z10 \
	VFMADD231PS  Z25, Z27, Z11 \
	VBROADCASTSS ao(R13), Z26 \
	VFMADD231PS  Z24, Z26, Z12 \
	VFMADD231PS  Z25, Z26, Z13 \
	VBROADCASTSS ao(R13)(R9*1), Z27 \
	VFMADD231PS  Z24, Z27, Z14 \
	VFMADD231PS  Z25, Z27, Z15 \
	VBROADCASTSS ao(R13)(R9*2), Z26 \
	VFMADD231PS  Z24, Z26, Z16 \
	VFMADD231PS  Z25, Z26, Z17 \
	VBROADCASTSS ao(R10), Z27 \
	VFMADD231PS  Z24, Z27, Z18 \
	VFMADD231PS  Z25, Z27, Z19 \
	VBROADCASTSS ao(R10)(R9*1), Z26 \
	VFMADD231PS  Z24, Z26, Z20 \
	VFMADD231PS  Z25, Z26, Z21 \
	VBROADCASTSS ao(R10)(R9*2), Z27 \
	VFMADD231PS  Z24, Z27, Z22 \
	VFMADD231PS  Z25, Z27, Z23

// STORE0(lo, hi) writes alpha·acc (alpha in Z28) for one row and moves DX on.
#define STORE0(lo, hi) \
	VMULPS  Z28, lo, lo  \
	VMULPS  Z28, hi, hi  \
	VMOVUPS lo, (DX)     \
	VMOVUPS hi, 64(DX)   \
	ADDQ    R8, DX

// STOREB(lo, hi) writes alpha·acc + beta·c (alpha in Z28, beta in Z29) for
// one row and moves DX on.
#define STOREB(lo, hi) \
	VMULPS  Z28, lo, lo      \
	VMULPS  Z28, hi, hi      \
	VMULPS  (DX), Z29, Z30   \
	VMULPS  64(DX), Z29, Z31 \
	VADDPS  Z30, lo, lo      \
	VADDPS  Z31, hi, hi      \
	VMOVUPS lo, (DX)         \
	VMOVUPS hi, 64(DX)       \
	ADDQ    R8, DX

TEXT ·sgemmMicroAVX512(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

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

loop4:
	CMPQ CX, $4
	JLT  loop1
	RANK1(0, 0)
	RANK1(48, 128)
	RANK1(96, 256)
	RANK1(144, 384)
	ADDQ $192, SI
	ADDQ $512, DI
	SUBQ $4, CX
	JMP  loop4

loop1:
	TESTQ CX, CX
	JZ    epilogue
	RANK1(0, 0)
	ADDQ  $48, SI
	ADDQ  $128, DI
	DECQ  CX
	JMP   loop1

epilogue:
	VBROADCASTSS alpha+40(FP), Z28
	MOVL         beta+44(FP), AX
	SHLL         $1, AX            // drop the sign: -0 counts as 0
	JNZ          withbeta
	STORE0(Z0, Z1)
	STORE0(Z2, Z3)
	STORE0(Z4, Z5)
	STORE0(Z6, Z7)
	STORE0(Z8, Z9)
	STORE0(Z10, Z11)
	STORE0(Z12, Z13)
	STORE0(Z14, Z15)
	STORE0(Z16, Z17)
	STORE0(Z18, Z19)
	STORE0(Z20, Z21)
	STORE0(Z22, Z23)
	VZEROUPPER
	RET

withbeta:
	VBROADCASTSS beta+44(FP), Z29
	STOREB(Z0, Z1)
	STOREB(Z2, Z3)
	STOREB(Z4, Z5)
	STOREB(Z6, Z7)
	STOREB(Z8, Z9)
	STOREB(Z10, Z11)
	STOREB(Z12, Z13)
	STOREB(Z14, Z15)
	STOREB(Z16, Z17)
	STOREB(Z18, Z19)
	STOREB(Z20, Z21)
	STOREB(Z22, Z23)
	VZEROUPPER
	RET

TEXT ·sgemmMicroRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9
	LEAQ (SI)(R9*2), R12
	ADDQ R9, R12
	LEAQ (R12)(R9*2), R13
	ADDQ R9, R13
	LEAQ (R13)(R9*2), R10
	ADDQ R9, R10
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
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

rows_loop4:
	CMPQ CX, $4
	JLT  rows_loop1
	RANK1ROWS(0, 0)
	RANK1ROWS(4, 128)
	RANK1ROWS(8, 256)
	RANK1ROWS(12, 384)
	ADDQ $16, SI
	ADDQ $16, R12
	ADDQ $16, R13
	ADDQ $16, R10
	ADDQ $512, DI
	SUBQ $4, CX
	JMP  rows_loop4

rows_loop1:
	TESTQ CX, CX
	JZ    rows_epilogue
	RANK1ROWS(0, 0)
	ADDQ  $4, SI
	ADDQ  $4, R12
	ADDQ  $4, R13
	ADDQ  $4, R10
	ADDQ  $128, DI
	DECQ  CX
	JMP   rows_loop1

rows_epilogue:
	VBROADCASTSS alpha+48(FP), Z28
	MOVL         beta+52(FP), AX
	SHLL         $1, AX            // drop the sign: -0 counts as 0
	JNZ          rows_withbeta
	STORE0(Z0, Z1)
	STORE0(Z2, Z3)
	STORE0(Z4, Z5)
	STORE0(Z6, Z7)
	STORE0(Z8, Z9)
	STORE0(Z10, Z11)
	STORE0(Z12, Z13)
	STORE0(Z14, Z15)
	STORE0(Z16, Z17)
	STORE0(Z18, Z19)
	STORE0(Z20, Z21)
	STORE0(Z22, Z23)
	VZEROUPPER
	RET

rows_withbeta:
	VBROADCASTSS beta+52(FP), Z29
	STOREB(Z0, Z1)
	STOREB(Z2, Z3)
	STOREB(Z4, Z5)
	STOREB(Z6, Z7)
	STOREB(Z8, Z9)
	STOREB(Z10, Z11)
	STOREB(Z12, Z13)
	STOREB(Z14, Z15)
	STOREB(Z16, Z17)
	STOREB(Z18, Z19)
	STOREB(Z20, Z21)
	STOREB(Z22, Z23)
	VZEROUPPER
	RET
