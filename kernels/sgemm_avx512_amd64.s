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

// func gather12AVX512(src *float32, ld, k16 int, dst *float32)
//	Packs twelve rows of a row-major matrix into the avx512 micro-kernel's
//	A panel layout, for the first k16 columns (a multiple of 16, at least
//	16): dst[p*12+i] = src[i*ld+p] for i < 12, p < k16. It writes exactly
//	12·k16 floats.
//	Register plan: SI, R12, R13, R10 rows 0, 3, 6, 9 (rows 1, 2 after each
//	at +R9 and +2·R9), R9 ld in bytes, DI dst, CX column blocks of 16 left;
//	K1 the low-12-lane store mask. Z0..Z11 the twelve rows' 16 columns, then
//	the stage-2 results u; Z12..Z23 the stage-1 results t; Z24..Z31 the
//	stage-3 results w; Z12 again the output column being stored.
//	Loop structure: for each block of 16 columns, a 16×16 transpose whose
//	rows 12..15 are zero and so never computed:
//	  1. t[2k], t[2k+1] = unpack low, high of rows 2k, 2k+1 (k < 6);
//	  2. u[4k+j] (j < 4) = 64-bit shuffles of t[4k..4k+3]: lane L of u[4k+j]
//	     holds rows 4k..4k+3 of column 4L+j (k < 3);
//	  3. w0[j], w1[j] = 128-bit lane shuffles of u[j] and u[4+j]: the even
//	     and odd lanes of each;
//	  4. column 4L+j = lanes of w0[j] or w1[j] (rows 0..7) and lane L of
//	     u[8+j] (rows 8..11), stored as 12 floats at dst + (4L+j)·48 under
//	     K1 (lane 3, the would-be rows 12..15, is not written).
TEXT ·gather12AVX512(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ ld+8(FP), R9
	SHLQ $2, R9
	MOVQ k16+16(FP), CX
	SHRQ $4, CX
	MOVQ dst+24(FP), DI
	LEAQ (SI)(R9*2), R12
	ADDQ R9, R12
	LEAQ (R12)(R9*2), R13
	ADDQ R9, R13
	LEAQ (R13)(R9*2), R10
	ADDQ R9, R10
	MOVL $0x0fff, AX
	KMOVW AX, K1

gather12_loop:
	VMOVUPS (SI), Z0
	VMOVUPS (SI)(R9*1), Z1
	VMOVUPS (SI)(R9*2), Z2
	VMOVUPS (R12), Z3
	VMOVUPS (R12)(R9*1), Z4
	VMOVUPS (R12)(R9*2), Z5
	VMOVUPS (R13), Z6
	VMOVUPS (R13)(R9*1), Z7
	VMOVUPS (R13)(R9*2), Z8
	VMOVUPS (R10), Z9
	VMOVUPS (R10)(R9*1), Z10
	VMOVUPS (R10)(R9*2), Z11

	// Stage 1: t[2k] = unpacklo(r[2k], r[2k+1]), t[2k+1] = unpackhi.
	VUNPCKLPS Z1, Z0, Z12
	VUNPCKHPS Z1, Z0, Z13
	VUNPCKLPS Z3, Z2, Z14
	VUNPCKHPS Z3, Z2, Z15
	VUNPCKLPS Z5, Z4, Z16
	VUNPCKHPS Z5, Z4, Z17
	VUNPCKLPS Z7, Z6, Z18
	VUNPCKHPS Z7, Z6, Z19
	VUNPCKLPS Z9, Z8, Z20
	VUNPCKHPS Z9, Z8, Z21
	VUNPCKLPS Z11, Z10, Z22
	VUNPCKHPS Z11, Z10, Z23

	// Stage 2: u[4k+0..3] from t[4k..4k+3].
	VSHUFPS $0x44, Z14, Z12, Z0
	VSHUFPS $0xee, Z14, Z12, Z1
	VSHUFPS $0x44, Z15, Z13, Z2
	VSHUFPS $0xee, Z15, Z13, Z3
	VSHUFPS $0x44, Z18, Z16, Z4
	VSHUFPS $0xee, Z18, Z16, Z5
	VSHUFPS $0x44, Z19, Z17, Z6
	VSHUFPS $0xee, Z19, Z17, Z7
	VSHUFPS $0x44, Z22, Z20, Z8
	VSHUFPS $0xee, Z22, Z20, Z9
	VSHUFPS $0x44, Z23, Z21, Z10
	VSHUFPS $0xee, Z23, Z21, Z11

	// Stage 3: w0[j] = (u[j].L0, u[j].L2, u[4+j].L0, u[4+j].L2) in
	// Z(24+2j), w1[j] = the odd lanes in Z(25+2j).
	VSHUFF32X4 $0x88, Z4, Z0, Z24
	VSHUFF32X4 $0xdd, Z4, Z0, Z25
	VSHUFF32X4 $0x88, Z5, Z1, Z26
	VSHUFF32X4 $0xdd, Z5, Z1, Z27
	VSHUFF32X4 $0x88, Z6, Z2, Z28
	VSHUFF32X4 $0xdd, Z6, Z2, Z29
	VSHUFF32X4 $0x88, Z7, Z3, Z30
	VSHUFF32X4 $0xdd, Z7, Z3, Z31

	// Stage 4: column 4L+j, stored as twelve floats.
	VSHUFF32X4 $0x08, Z8, Z24, Z12
	VMOVUPS    Z12, K1, 0(DI)
	VSHUFF32X4 $0x08, Z9, Z26, Z12
	VMOVUPS    Z12, K1, 48(DI)
	VSHUFF32X4 $0x08, Z10, Z28, Z12
	VMOVUPS    Z12, K1, 96(DI)
	VSHUFF32X4 $0x08, Z11, Z30, Z12
	VMOVUPS    Z12, K1, 144(DI)
	VSHUFF32X4 $0x18, Z8, Z25, Z12
	VMOVUPS    Z12, K1, 192(DI)
	VSHUFF32X4 $0x18, Z9, Z27, Z12
	VMOVUPS    Z12, K1, 240(DI)
	VSHUFF32X4 $0x18, Z10, Z29, Z12
	VMOVUPS    Z12, K1, 288(DI)
	VSHUFF32X4 $0x18, Z11, Z31, Z12
	VMOVUPS    Z12, K1, 336(DI)
	VSHUFF32X4 $0x2d, Z8, Z24, Z12
	VMOVUPS    Z12, K1, 384(DI)
	VSHUFF32X4 $0x2d, Z9, Z26, Z12
	VMOVUPS    Z12, K1, 432(DI)
	VSHUFF32X4 $0x2d, Z10, Z28, Z12
	VMOVUPS    Z12, K1, 480(DI)
	VSHUFF32X4 $0x2d, Z11, Z30, Z12
	VMOVUPS    Z12, K1, 528(DI)
	VSHUFF32X4 $0x3d, Z8, Z25, Z12
	VMOVUPS    Z12, K1, 576(DI)
	VSHUFF32X4 $0x3d, Z9, Z27, Z12
	VMOVUPS    Z12, K1, 624(DI)
	VSHUFF32X4 $0x3d, Z10, Z29, Z12
	VMOVUPS    Z12, K1, 672(DI)
	VSHUFF32X4 $0x3d, Z11, Z31, Z12
	VMOVUPS    Z12, K1, 720(DI)

	ADDQ $64, SI
	ADDQ $64, R12
	ADDQ $64, R13
	ADDQ $64, R10
	ADDQ $768, DI
	DECQ CX
	JNZ  gather12_loop
	VZEROUPPER
	RET

// func copy32AVX512(dst, src *float32, ld, kb int)
//	For p < kb: dst[p*32 : p*32+32] = src[p*ld : p*ld+32] (packing a B panel
//	whose depth steps are contiguous rows).
//	Register plan: DI dst, SI src, R9 ld in bytes, CX rows left; Z0, Z1 the
//	two halves of a row.
//	Loop structure: one row (two loads, two stores) per iteration.
TEXT ·copy32AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R9
	SHLQ $2, R9
	MOVQ kb+24(FP), CX

copy32_loop:
	TESTQ   CX, CX
	JZ      copy32_done
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ    R9, SI
	ADDQ    $128, DI
	DECQ    CX
	JMP     copy32_loop

copy32_done:
	VZEROUPPER
	RET

// func copy12AVX512(dst, src *float32, ld, kb int)
//	For p < kb: dst[p*12 : p*12+12] = src[p*ld : p*ld+12] (packing the A
//	panel of a transposed A, whose depth steps are contiguous rows).
//	Register plan: DI dst, SI src, R9 ld in bytes, CX rows left; Y0 the
//	first 8 floats of a row, X1 the last 4.
//	Loop structure: one row (two loads, two stores) per iteration.
TEXT ·copy12AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R9
	SHLQ $2, R9
	MOVQ kb+24(FP), CX

copy12_loop:
	TESTQ   CX, CX
	JZ      copy12_done
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), X1
	VMOVUPS Y0, (DI)
	VMOVUPS X1, 32(DI)
	ADDQ    R9, SI
	ADDQ    $48, DI
	DECQ    CX
	JMP     copy12_loop

copy12_done:
	VZEROUPPER
	RET

// func gather32AVX512(src *float32, ld, k16 int, dst *float32)
//	Packs 32 rows of a row-major matrix into the avx512 micro-kernel's B
//	panel layout (the B panel of a transposed B), for the first k16 columns
//	(a multiple of 16, at least 16): dst[p*32+j] = src[j*ld+p] for j < 32,
//	p < k16. It writes exactly 32·k16 floats.
//	Register plan: SI the current column block's row 0, R11 the row being
//	loaded (after a half, row 0 of the next), R9 ld in bytes, DI the
//	block's output, DX the half's output, BX halves left, CX column blocks
//	left. Z0..Z15 the sixteen rows of a half, then the stage-2 results u, then the output
//	columns; Z16..Z31 the stage-1 results t, then the stage-3 results.
//	Loop structure: for each block of 16 columns, for each half (rows 0..15,
//	then 16..31): a full 16×16 transpose —
//	  1. t[2k], t[2k+1] = unpack low, high of rows 2k, 2k+1 (k < 8);
//	  2. u[4k+j] (j < 4) = 64-bit shuffles of t[4k..4k+3]: lane L of u[4k+j]
//	     holds rows 4k..4k+3 of column 4L+j;
//	  3. w0[j], w1[j] = even, odd lanes of u[j] and u[4+j] (rows 0..7);
//	     x0[j], x1[j] the same of u[8+j] and u[12+j] (rows 8..15);
//	  4. column 4L+j = two lanes of w and two of x, stored as 16 floats at
//	     the half's output + (4L+j)·128.

TEXT ·gather32AVX512(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ ld+8(FP), R9
	SHLQ $2, R9
	MOVQ k16+16(FP), CX
	SHRQ $4, CX
	MOVQ dst+24(FP), DI

gather32_block:
	MOVQ SI, R11
	MOVQ DI, DX
	MOVQ $2, BX

gather32_half:
	VMOVUPS (R11), Z0
	ADDQ    R9, R11
	VMOVUPS (R11), Z1
	ADDQ    R9, R11
	VMOVUPS (R11), Z2
	ADDQ    R9, R11
	VMOVUPS (R11), Z3
	ADDQ    R9, R11
	VMOVUPS (R11), Z4
	ADDQ    R9, R11
	VMOVUPS (R11), Z5
	ADDQ    R9, R11
	VMOVUPS (R11), Z6
	ADDQ    R9, R11
	VMOVUPS (R11), Z7
	ADDQ    R9, R11
	VMOVUPS (R11), Z8
	ADDQ    R9, R11
	VMOVUPS (R11), Z9
	ADDQ    R9, R11
	VMOVUPS (R11), Z10
	ADDQ    R9, R11
	VMOVUPS (R11), Z11
	ADDQ    R9, R11
	VMOVUPS (R11), Z12
	ADDQ    R9, R11
	VMOVUPS (R11), Z13
	ADDQ    R9, R11
	VMOVUPS (R11), Z14
	ADDQ    R9, R11
	VMOVUPS (R11), Z15
	ADDQ    R9, R11

	// Stage 1.
	VUNPCKLPS Z1, Z0, Z16
	VUNPCKHPS Z1, Z0, Z17
	VUNPCKLPS Z3, Z2, Z18
	VUNPCKHPS Z3, Z2, Z19
	VUNPCKLPS Z5, Z4, Z20
	VUNPCKHPS Z5, Z4, Z21
	VUNPCKLPS Z7, Z6, Z22
	VUNPCKHPS Z7, Z6, Z23
	VUNPCKLPS Z9, Z8, Z24
	VUNPCKHPS Z9, Z8, Z25
	VUNPCKLPS Z11, Z10, Z26
	VUNPCKHPS Z11, Z10, Z27
	VUNPCKLPS Z13, Z12, Z28
	VUNPCKHPS Z13, Z12, Z29
	VUNPCKLPS Z15, Z14, Z30
	VUNPCKHPS Z15, Z14, Z31

	// Stage 2.
	VSHUFPS $0x44, Z18, Z16, Z0
	VSHUFPS $0xee, Z18, Z16, Z1
	VSHUFPS $0x44, Z19, Z17, Z2
	VSHUFPS $0xee, Z19, Z17, Z3
	VSHUFPS $0x44, Z22, Z20, Z4
	VSHUFPS $0xee, Z22, Z20, Z5
	VSHUFPS $0x44, Z23, Z21, Z6
	VSHUFPS $0xee, Z23, Z21, Z7
	VSHUFPS $0x44, Z26, Z24, Z8
	VSHUFPS $0xee, Z26, Z24, Z9
	VSHUFPS $0x44, Z27, Z25, Z10
	VSHUFPS $0xee, Z27, Z25, Z11
	VSHUFPS $0x44, Z30, Z28, Z12
	VSHUFPS $0xee, Z30, Z28, Z13
	VSHUFPS $0x44, Z31, Z29, Z14
	VSHUFPS $0xee, Z31, Z29, Z15

	// Stage 3: w0[j], w1[j], x0[j], x1[j] in Z(16+4j) .. Z(19+4j).
	VSHUFF32X4 $0x88, Z4, Z0, Z16
	VSHUFF32X4 $0xdd, Z4, Z0, Z17
	VSHUFF32X4 $0x88, Z12, Z8, Z18
	VSHUFF32X4 $0xdd, Z12, Z8, Z19
	VSHUFF32X4 $0x88, Z5, Z1, Z20
	VSHUFF32X4 $0xdd, Z5, Z1, Z21
	VSHUFF32X4 $0x88, Z13, Z9, Z22
	VSHUFF32X4 $0xdd, Z13, Z9, Z23
	VSHUFF32X4 $0x88, Z6, Z2, Z24
	VSHUFF32X4 $0xdd, Z6, Z2, Z25
	VSHUFF32X4 $0x88, Z14, Z10, Z26
	VSHUFF32X4 $0xdd, Z14, Z10, Z27
	VSHUFF32X4 $0x88, Z7, Z3, Z28
	VSHUFF32X4 $0xdd, Z7, Z3, Z29
	VSHUFF32X4 $0x88, Z15, Z11, Z30
	VSHUFF32X4 $0xdd, Z15, Z11, Z31

	// Stage 4: column 4L+j.
	VSHUFF32X4 $0x88, Z18, Z16, Z0
	VMOVUPS    Z0, 0(DX)
	VSHUFF32X4 $0x88, Z19, Z17, Z4
	VMOVUPS    Z4, 512(DX)
	VSHUFF32X4 $0xdd, Z18, Z16, Z8
	VMOVUPS    Z8, 1024(DX)
	VSHUFF32X4 $0xdd, Z19, Z17, Z12
	VMOVUPS    Z12, 1536(DX)
	VSHUFF32X4 $0x88, Z22, Z20, Z1
	VMOVUPS    Z1, 128(DX)
	VSHUFF32X4 $0x88, Z23, Z21, Z5
	VMOVUPS    Z5, 640(DX)
	VSHUFF32X4 $0xdd, Z22, Z20, Z9
	VMOVUPS    Z9, 1152(DX)
	VSHUFF32X4 $0xdd, Z23, Z21, Z13
	VMOVUPS    Z13, 1664(DX)
	VSHUFF32X4 $0x88, Z26, Z24, Z2
	VMOVUPS    Z2, 256(DX)
	VSHUFF32X4 $0x88, Z27, Z25, Z6
	VMOVUPS    Z6, 768(DX)
	VSHUFF32X4 $0xdd, Z26, Z24, Z10
	VMOVUPS    Z10, 1280(DX)
	VSHUFF32X4 $0xdd, Z27, Z25, Z14
	VMOVUPS    Z14, 1792(DX)
	VSHUFF32X4 $0x88, Z30, Z28, Z3
	VMOVUPS    Z3, 384(DX)
	VSHUFF32X4 $0x88, Z31, Z29, Z7
	VMOVUPS    Z7, 896(DX)
	VSHUFF32X4 $0xdd, Z30, Z28, Z11
	VMOVUPS    Z11, 1408(DX)
	VSHUFF32X4 $0xdd, Z31, Z29, Z15
	VMOVUPS    Z15, 1920(DX)

	ADDQ $64, DX
	DECQ BX
	JNZ  gather32_half

	ADDQ $64, SI
	ADDQ $2048, DI
	DECQ CX
	JNZ  gather32_block
	VZEROUPPER
	RET
