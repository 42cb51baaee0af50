//go:build !purego

// AVX2+FMA vector kernels: dot product (also the row-dot kernel of exact
// search, one row at a time), axpy and scale. Each processes 8 float32 per
// YMM register.
//
// func dotAVX2(x, y *float32, n int) float32
//	Register plan: SI x, DI y, CX elements left; Y0..Y3 and Y5..Y8 eight
//	partial sums (64 elements per iteration: two loads per FMA and a 4-cycle
//	FMA latency need more than four chains to keep the loads busy), Y4 the
//	x load; X1 scratch for reductions.
//	Loop structure: loop64 (8 FMAs of 8) → loop8 (1 FMA of 8) → reduce the
//	8 sums to a scalar in X0 → loop1 (scalar FMA per element).
//
// func axpyAVX2(alpha float32, x, y *float32, n int)
//	Register plan: Y0 alpha broadcast, SI x, DI y, CX elements left,
//	Y1..Y4 y loads. Loop structure: loop32 → loop8 → loop1 (scalar).
//
// func scaleAVX2(alpha float32, x *float32, n int)
//	Register plan: Y0 alpha broadcast, SI x, CX elements left, Y1..Y4 products.
//	Loop structure: loop32 → loop8 → loop1 (scalar).


#include "textflag.h"

TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8

dot_loop64:
	CMPQ        CX, $64
	JLT         dot_loop8
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	VMOVUPS     32(SI), Y4
	VFMADD231PS 32(DI), Y4, Y1
	VMOVUPS     64(SI), Y4
	VFMADD231PS 64(DI), Y4, Y2
	VMOVUPS     96(SI), Y4
	VFMADD231PS 96(DI), Y4, Y3
	VMOVUPS     128(SI), Y4
	VFMADD231PS 128(DI), Y4, Y5
	VMOVUPS     160(SI), Y4
	VFMADD231PS 160(DI), Y4, Y6
	VMOVUPS     192(SI), Y4
	VFMADD231PS 192(DI), Y4, Y7
	VMOVUPS     224(SI), Y4
	VFMADD231PS 224(DI), Y4, Y8
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	JMP         dot_loop64

dot_loop8:
	CMPQ        CX, $8
	JLT         dot_reduce
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dot_loop8

dot_reduce:
	VADDPS       Y5, Y0, Y0
	VADDPS       Y6, Y1, Y1
	VADDPS       Y7, Y2, Y2
	VADDPS       Y8, Y3, Y3
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0

dot_loop1:
	TESTQ       CX, CX
	JZ          dot_done
	VMOVSS      (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         dot_loop1

dot_done:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX

axpy_loop32:
	CMPQ        CX, $32
	JLT         axpy_loop8
	VMOVUPS     (DI), Y1
	VMOVUPS     32(DI), Y2
	VMOVUPS     64(DI), Y3
	VMOVUPS     96(DI), Y4
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VFMADD231PS 64(SI), Y0, Y3
	VFMADD231PS 96(SI), Y0, Y4
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y2, 32(DI)
	VMOVUPS     Y3, 64(DI)
	VMOVUPS     Y4, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         axpy_loop32

axpy_loop8:
	CMPQ        CX, $8
	JLT         axpy_loop1
	VMOVUPS     (DI), Y1
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         axpy_loop8

axpy_loop1:
	TESTQ       CX, CX
	JZ          axpy_done
	VMOVSS      (DI), X1
	VFMADD231SS (SI), X0, X1
	VMOVSS      X1, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         axpy_loop1

axpy_done:
	VZEROUPPER
	RET

TEXT ·scaleAVX2(SB), NOSPLIT, $0-24
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX

scale_loop32:
	CMPQ    CX, $32
	JLT     scale_loop8
	VMULPS  (SI), Y0, Y1
	VMULPS  32(SI), Y0, Y2
	VMULPS  64(SI), Y0, Y3
	VMULPS  96(SI), Y0, Y4
	VMOVUPS Y1, (SI)
	VMOVUPS Y2, 32(SI)
	VMOVUPS Y3, 64(SI)
	VMOVUPS Y4, 96(SI)
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     scale_loop32

scale_loop8:
	CMPQ    CX, $8
	JLT     scale_loop1
	VMULPS  (SI), Y0, Y1
	VMOVUPS Y1, (SI)
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     scale_loop8

scale_loop1:
	TESTQ  CX, CX
	JZ     scale_done
	VMULSS (SI), X0, X1
	VMOVSS X1, (SI)
	ADDQ   $4, SI
	DECQ   CX
	JMP    scale_loop1

scale_done:
	VZEROUPPER
	RET

// func gather6AVX2(src *float32, ld, k8 int, dst *float32)
//	Packs six rows of a row-major matrix into the avx2 SGEMM kernel's A
//	panel layout, for the first k8 columns (a multiple of 8, at least 8):
//	dst[p*6+i] = src[i*ld+p] for i < 6, p < k8. It writes exactly 6·k8
//	floats.
//	Register plan: SI row 0, R12 row 3 (rows 1, 2, 4, 5 at SI+R9, SI+2·R9,
//	R12+R9, R12+2·R9), R9 ld in bytes, DI dst, CX column blocks of 8 left;
//	Y0..Y5 eight columns of the six rows, Y6 zero (rows 6 and 7 of an 8×8
//	transpose), Y7..Y15 the transpose's intermediates.
//	Loop structure: for each block of 8 columns { load 6×8; transpose as an
//	8×8 block with two zero rows (unpack, shuffle, 128-bit permute); store
//	the 8 resulting columns of 6 at 24-byte steps, each store 32 bytes wide
//	so its 2 spare lanes are overwritten by the next, except the block's
//	last column, stored as 16 + 8 bytes }.
TEXT ·gather6AVX2(SB), NOSPLIT, $0-32
	MOVQ   src+0(FP), SI
	MOVQ   ld+8(FP), R9
	SHLQ   $2, R9
	LEAQ   (SI)(R9*2), R12
	ADDQ   R9, R12
	MOVQ   k8+16(FP), CX
	SHRQ   $3, CX
	MOVQ   dst+24(FP), DI
	VXORPS Y6, Y6, Y6

gather_loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R9*1), Y1
	VMOVUPS (SI)(R9*2), Y2
	VMOVUPS (R12), Y3
	VMOVUPS (R12)(R9*1), Y4
	VMOVUPS (R12)(R9*2), Y5

	// Interleave row pairs: Y7/Y8 rows 0,1; Y9/Y10 rows 2,3; Y11/Y12 rows 4,5.
	VUNPCKLPS Y1, Y0, Y7
	VUNPCKHPS Y1, Y0, Y8
	VUNPCKLPS Y3, Y2, Y9
	VUNPCKHPS Y3, Y2, Y10
	VUNPCKLPS Y5, Y4, Y11
	VUNPCKHPS Y5, Y4, Y12

	// Groups of four rows per column, per 128-bit lane: Y0..Y3 rows 0-3,
	// Y4, Y5, Y13, Y14 rows 4-5 with zeros for rows 6-7.
	VSHUFPS $0x44, Y9, Y7, Y0
	VSHUFPS $0xEE, Y9, Y7, Y1
	VSHUFPS $0x44, Y10, Y8, Y2
	VSHUFPS $0xEE, Y10, Y8, Y3
	VSHUFPS $0x44, Y6, Y11, Y4
	VSHUFPS $0xEE, Y6, Y11, Y5
	VSHUFPS $0x44, Y6, Y12, Y13
	VSHUFPS $0xEE, Y6, Y12, Y14

	// Columns 0..3 from the low lanes, 4..7 from the high lanes.
	VPERM2F128 $0x20, Y4, Y0, Y7
	VPERM2F128 $0x20, Y5, Y1, Y8
	VPERM2F128 $0x20, Y13, Y2, Y9
	VPERM2F128 $0x20, Y14, Y3, Y10
	VPERM2F128 $0x31, Y4, Y0, Y11
	VPERM2F128 $0x31, Y5, Y1, Y12
	VPERM2F128 $0x31, Y13, Y2, Y15
	VPERM2F128 $0x31, Y14, Y3, Y0

	VMOVUPS      Y7, (DI)
	VMOVUPS      Y8, 24(DI)
	VMOVUPS      Y9, 48(DI)
	VMOVUPS      Y10, 72(DI)
	VMOVUPS      Y11, 96(DI)
	VMOVUPS      Y12, 120(DI)
	VMOVUPS      Y15, 144(DI)
	VMOVUPS      X0, 168(DI)
	VEXTRACTF128 $1, Y0, X1
	VMOVSD       X1, 184(DI)

	ADDQ $32, SI
	ADDQ $32, R12
	ADDQ $192, DI
	DECQ CX
	JNZ  gather_loop
	VZEROUPPER
	RET

// func copy16AVX2(dst, src *float32, ld, kb int)
//	For p < kb: dst[p*16 : p*16+16] = src[p*ld : p*ld+16] (packing a B panel
//	whose depth steps are contiguous rows).
//	Register plan: DI dst, SI src, R9 ld in bytes, CX rows left; Y0, Y1 the
//	two halves of a row.
//	Loop structure: one row (two loads, two stores) per iteration.
TEXT ·copy16AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R9
	SHLQ $2, R9
	MOVQ kb+24(FP), CX

copy16_loop:
	TESTQ   CX, CX
	JZ      copy16_done
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R9, SI
	ADDQ    $64, DI
	DECQ    CX
	JMP     copy16_loop

copy16_done:
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n8 int) float32
//	Returns the largest of x[0..n8), n8 a positive multiple of 8, or NaN if
//	any element is NaN (VMAXPS alone would drop a NaN met in the running
//	maximum, so an unordered compare of each load with itself collects NaNs
//	on the side).
//	Register plan: SI x, CX elements left; Y0 Y1 running maxima (two
//	chains, 16 elements per iteration), Y2 Y3 loads, Y4 Y5 NaN lanes seen;
//	X2 reduction scratch, AX the NaN lane mask.
//	Loop structure: first 8 → loop16 (two loads, two max, two compares) →
//	one more 8 if left → reduce the maxima to a scalar in X0 → NaN if any
//	lane saw one.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ    x+0(FP), SI
	MOVQ    n8+8(FP), CX
	VMOVUPS (SI), Y0
	VCMPPS  $3, Y0, Y0, Y4 // Y4 = unordered(Y0, Y0): NaN lanes
	VMOVAPS Y0, Y1
	VXORPS  Y5, Y5, Y5
	ADDQ    $32, SI
	SUBQ    $8, CX

max_loop16:
	CMPQ    CX, $16
	JLT     max_tail8
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VMAXPS  Y2, Y0, Y0
	VMAXPS  Y3, Y1, Y1
	VCMPPS  $3, Y2, Y2, Y2
	VCMPPS  $3, Y3, Y3, Y3
	VORPS   Y2, Y4, Y4
	VORPS   Y3, Y5, Y5
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     max_loop16

max_tail8:
	CMPQ    CX, $8
	JLT     max_reduce
	VMOVUPS (SI), Y2
	VMAXPS  Y2, Y0, Y0
	VCMPPS  $3, Y2, Y2, Y2
	VORPS   Y2, Y4, Y4

max_reduce:
	VMAXPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X2
	VMAXPS       X2, X0, X0
	VMOVHLPS     X0, X0, X2
	VMAXPS       X2, X0, X0
	VMOVSHDUP    X0, X2
	VMAXSS       X2, X0, X0
	VORPS        Y5, Y4, Y4
	VMOVMSKPS    Y4, AX
	TESTL        AX, AX
	JZ           max_done
	VPCMPEQD     X0, X0, X0 // all ones: a quiet NaN's bits

max_done:
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET
