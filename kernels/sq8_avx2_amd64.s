//go:build !purego

// The SQ8 scan's row kernel (DotRowsU8) for the avx2 and avx512 tiers:
// the inner product of float32 weights with one row of bytes.
//
// func dotU8AVX2(w *float32, c *uint8, n int) float32
//	Register plan: SI w, DI c, CX elements left; Y0..Y3 four partial sums
//	(32 elements per iteration), Y4..Y7 the bytes of 8 elements each,
//	zero-extended to int32 (VPMOVZXBD from memory) and converted to
//	float32 (VCVTDQ2PS, exact: bytes are below 2^24); the weights are the
//	FMAs' memory operands. X1 scratch for the reduction, AX the byte of
//	the scalar tail.
//	Loop structure: loop32 (4 × [extend, convert, FMA] of 8) → loop8
//	(1 of 8, into Y0) → reduce the four sums to a scalar in X0 → loop1
//	(one element per pass: MOVBQZX, VCVTSI2SSL, scalar FMA).
//	Each element costs one shuffle-port µop (the extending load), one
//	conversion and one FMA; a row of 384 is 12 passes of loop32.

#include "textflag.h"

TEXT ·dotU8AVX2(SB), NOSPLIT, $0-28
	MOVQ   w+0(FP), SI
	MOVQ   c+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

u8_loop32:
	CMPQ        CX, $32
	JLT         u8_loop8
	VPMOVZXBD   (DI), Y4
	VPMOVZXBD   8(DI), Y5
	VPMOVZXBD   16(DI), Y6
	VPMOVZXBD   24(DI), Y7
	VCVTDQ2PS   Y4, Y4
	VCVTDQ2PS   Y5, Y5
	VCVTDQ2PS   Y6, Y6
	VCVTDQ2PS   Y7, Y7
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	VFMADD231PS 64(SI), Y6, Y2
	VFMADD231PS 96(SI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $32, DI
	SUBQ        $32, CX
	JMP         u8_loop32

u8_loop8:
	CMPQ        CX, $8
	JLT         u8_reduce
	VPMOVZXBD   (DI), Y4
	VCVTDQ2PS   Y4, Y4
	VFMADD231PS (SI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $8, DI
	SUBQ        $8, CX
	JMP         u8_loop8

u8_reduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VZEROUPPER

u8_loop1:
	TESTQ       CX, CX
	JZ          u8_done
	MOVBQZX     (DI), AX
	VCVTSI2SSL  AX, X1, X1
	VFMADD231SS (SI), X1, X0
	ADDQ        $4, SI
	ADDQ        $1, DI
	DECQ        CX
	JMP         u8_loop1

u8_done:
	VMOVSS X0, ret+24(FP)
	RET
