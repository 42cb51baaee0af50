//go:build !purego

// The SQ8 scan's row kernel (DotRowsU8) for the avx512 tier: as
// sq8_avx2_amd64.s, 16 elements per ZMM register.
//
// func dotU8AVX512(w *float32, c *uint8, n int) float32
//	Register plan: SI w, DI c, CX elements left; Z0..Z3 four partial sums
//	(64 elements per iteration), Z4..Z7 the bytes of 16 elements each,
//	zero-extended to int32 (VPMOVZXBD from memory) and converted to
//	float32 (VCVTDQ2PS, exact); the weights are the FMAs' memory
//	operands. Y1/X1 scratch for the reductions, AX the byte of the
//	scalar tail.
//	Loop structure: loop64 (4 × [extend, convert, FMA] of 16) → loop16
//	(1 of 16, into Z0) → reduce the four sums to Y0 (VEXTRACTF64X4, after
//	which only VEX instructions touch the sum) → loop8 (1 of 8 in YMM,
//	into Y0) → reduce Y0 to a scalar in X0 → loop1 (one element per pass).
//	An element costs half a shuffle-port µop (one extending load per 16),
//	against the AVX2 kernel's one per 8: a row of 384 is 6 passes of loop64.

#include "textflag.h"

TEXT ·dotU8AVX512(SB), NOSPLIT, $0-28
	MOVQ   w+0(FP), SI
	MOVQ   c+8(FP), DI
	MOVQ   n+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3

u8z_loop64:
	CMPQ        CX, $64
	JLT         u8z_loop16
	VPMOVZXBD   (DI), Z4
	VPMOVZXBD   16(DI), Z5
	VPMOVZXBD   32(DI), Z6
	VPMOVZXBD   48(DI), Z7
	VCVTDQ2PS   Z4, Z4
	VCVTDQ2PS   Z5, Z5
	VCVTDQ2PS   Z6, Z6
	VCVTDQ2PS   Z7, Z7
	VFMADD231PS (SI), Z4, Z0
	VFMADD231PS 64(SI), Z5, Z1
	VFMADD231PS 128(SI), Z6, Z2
	VFMADD231PS 192(SI), Z7, Z3
	ADDQ        $256, SI
	ADDQ        $64, DI
	SUBQ        $64, CX
	JMP         u8z_loop64

u8z_loop16:
	CMPQ        CX, $16
	JLT         u8z_reduce16
	VPMOVZXBD   (DI), Z4
	VCVTDQ2PS   Z4, Z4
	VFMADD231PS (SI), Z4, Z0
	ADDQ        $64, SI
	ADDQ        $16, DI
	SUBQ        $16, CX
	JMP         u8z_loop16

u8z_reduce16:
	VADDPS        Z1, Z0, Z0
	VADDPS        Z3, Z2, Z2
	VADDPS        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0

u8z_loop8:
	CMPQ        CX, $8
	JLT         u8z_reduce
	VPMOVZXBD   (DI), Y4
	VCVTDQ2PS   Y4, Y4
	VFMADD231PS (SI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $8, DI
	SUBQ        $8, CX
	JMP         u8z_loop8

u8z_reduce:
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VZEROUPPER

u8z_loop1:
	TESTQ       CX, CX
	JZ          u8z_done
	MOVBQZX     (DI), AX
	VCVTSI2SSL  AX, X1, X1
	VFMADD231SS (SI), X1, X0
	ADDQ        $4, SI
	ADDQ        $1, DI
	DECQ        CX
	JMP         u8z_loop1

u8z_done:
	VMOVSS X0, ret+24(FP)
	RET
