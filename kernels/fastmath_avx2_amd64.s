//go:build !purego

// AVX2+FMA elementwise math, eight float32 per step: GELU (erf form)
// forward and backward, and the exponentials of a softmax row.
//
// func geluAVX2(y, x *float32, n8 int)
//	y[i] = x[i]·Φ(x[i]) = ½·x[i]·(1 + erf(x[i]/√2)) for i < n8 (a multiple of 8).
// func geluBackwardAVX2(dx, dy, x *float32, n8 int, add bool)
//	dx[i] += dy[i]·(Φ(x[i]) + x[i]·φ(x[i])), φ(x) = exp(−x²/2)/√(2π); with
//	add false, dx[i] = dy[i]·(…) and dx is not read.
//
// erf(u), u = x/√2, as kernels.Erf computes it: for |u| < 1 the Cephes erff
// polynomial u·P(u²); otherwise 1 − t·Q(t)·exp(−u²) with t = 1/(1 + p·|u|)
// (Abramowitz and Stegun 7.1.26, |u| capped at 9) and u's sign; both are
// computed and blended by the mask |u| < 1. exp(v) for v ≤ 0 as
// kernels.Exp: v ≥ −87 (clamped), n = round(v·log2 e), r = v − n·ln2 in two
// parts, e^r by the Cephes polynomial, then 2ⁿ added to the exponent bits.
//
// Register plan (both functions):
//	SI x, DI y or dy, DX dx, CX elements left
//	Y0 x, Y1 u, Y2 |u|, Y3 sign(u), Y4 u², Y5 small-|u| erf,
//	Y6 min(|u|, 9), Y7 t, Y8 large-|u| erf then the blended erf,
//	Y9 exp argument/result then the blend mask, Y10 Φ(x) (then the result),
//	Y11..Y13 exp temporaries; backward: Y11 exp(−x²/2), Y12 dy, Y13 dx.
//	Constants are 32-byte rows of eight copies (K8 below), used as memory
//	operands.
// Loop structure: for each 8 elements { load x; Φ(x) (both erf branches, the
// exp, blend); forward: store x·Φ; backward: add the φ term, load dy and dx,
// dx += dy·gelu', store }.

#include "textflag.h"

// K8 defines a read-only row of eight copies of a float32 bit pattern.
#define K8(name, bits) \
	DATA name<>+0(SB)/4, bits  \
	DATA name<>+4(SB)/4, bits  \
	DATA name<>+8(SB)/4, bits  \
	DATA name<>+12(SB)/4, bits \
	DATA name<>+16(SB)/4, bits \
	DATA name<>+20(SB)/4, bits \
	DATA name<>+24(SB)/4, bits \
	DATA name<>+28(SB)/4, bits \
	GLOBL name<>(SB), RODATA|NOPTR, $32

K8(geluInvSqrt2, $0x3f3504f3)
K8(geluAbsMask, $0x7fffffff)
K8(geluSignMask, $0x80000000)
K8(geluOne, $0x3f800000)
K8(geluHalf, $0x3f000000)
K8(geluNine, $0x41100000)
K8(geluE0, $0x38a4b519)
K8(geluE1, $0xba51fb80)
K8(geluE2, $0x3baa02d9)
K8(geluE3, $0xbcdbfc87)
K8(geluE4, $0x3de7167c)
K8(geluE5, $0xbec0939f)
K8(geluE6, $0x3f906eba)
K8(geluP, $0x3ea7ba05)
K8(geluA1, $0x3e827906)
K8(geluA2, $0xbe91a98e)
K8(geluA3, $0x3fb5f0e3)
K8(geluA4, $0xbfba00e3)
K8(geluA5, $0x3f87dc22)
K8(geluInvSqrt2Pi, $0x3ecc422a)
K8(geluNegHalf, $0xbf000000)
K8(expLo, $0xc2ae0000)
K8(expLog2e, $0x3fb8aa3b)
K8(expLn2Hi, $0x3f318000)
K8(expLn2Lo, $0xb95e8083)
K8(expC0, $0x39506967)
K8(expC1, $0x3ab743ce)
K8(expC2, $0x3c088908)
K8(expC3, $0x3d2aa9c1)
K8(expC4, $0x3e2aaaaa)
K8(expC5, $0x3f000000)

// EXP(v, t1, t2) sets v = exp(v) for v ≤ 0, using t1 and t2.
#define EXP(v, t1, t2) \
	VMAXPS       expLo<>(SB), v, v     \
	VMULPS       expLog2e<>(SB), v, t1 \
	VROUNDPS     $0, t1, t1            \
	VFNMADD231PS expLn2Hi<>(SB), t1, v \
	VFNMADD231PS expLn2Lo<>(SB), t1, v \
	VMOVUPS      expC0<>(SB), t2       \
	VFMADD213PS  expC1<>(SB), v, t2    \
	VFMADD213PS  expC2<>(SB), v, t2    \
	VFMADD213PS  expC3<>(SB), v, t2    \
	VFMADD213PS  expC4<>(SB), v, t2    \
	VFMADD213PS  expC5<>(SB), v, t2    \
	VMULPS       v, t2, t2             \
	VFMADD213PS  v, v, t2              \
	VADDPS       geluOne<>(SB), t2, t2 \
	VCVTPS2DQ    t1, t1                \
	VPSLLD       $23, t1, t1           \
	VPADDD       t1, t2, v

// CDF sets Y10 = Φ(Y0) = ½(1 + erf(Y0/√2)).
#define CDF \
	VMULPS       geluInvSqrt2<>(SB), Y0, Y1 \
	VANDPS       geluAbsMask<>(SB), Y1, Y2  \
	VANDPS       geluSignMask<>(SB), Y1, Y3 \
	VMULPS       Y1, Y1, Y4                 \
	VMOVUPS      geluE0<>(SB), Y5           \
	VFMADD213PS  geluE1<>(SB), Y4, Y5       \
	VFMADD213PS  geluE2<>(SB), Y4, Y5       \
	VFMADD213PS  geluE3<>(SB), Y4, Y5       \
	VFMADD213PS  geluE4<>(SB), Y4, Y5       \
	VFMADD213PS  geluE5<>(SB), Y4, Y5       \
	VFMADD213PS  geluE6<>(SB), Y4, Y5       \
	VMULPS       Y1, Y5, Y5                 \
	VMINPS       geluNine<>(SB), Y2, Y6     \
	VMOVUPS      geluP<>(SB), Y7            \
	VFMADD213PS  geluOne<>(SB), Y6, Y7      \
	VMOVUPS      geluOne<>(SB), Y8          \
	VDIVPS       Y7, Y8, Y7                 \
	VMOVUPS      geluA5<>(SB), Y8           \
	VFMADD213PS  geluA4<>(SB), Y7, Y8       \
	VFMADD213PS  geluA3<>(SB), Y7, Y8       \
	VFMADD213PS  geluA2<>(SB), Y7, Y8       \
	VFMADD213PS  geluA1<>(SB), Y7, Y8       \
	VMULPS       Y7, Y8, Y8                 \
	VMULPS       Y6, Y6, Y9                 \
	VXORPS       geluSignMask<>(SB), Y9, Y9 \
	EXP(Y9, Y10, Y11)                       \
	VFNMADD213PS geluOne<>(SB), Y9, Y8      \
	VORPS        Y3, Y8, Y8                 \
	VCMPPS       $1, geluOne<>(SB), Y2, Y9  \
	VBLENDVPS    Y9, Y5, Y8, Y8             \
	VMOVUPS      geluHalf<>(SB), Y10        \
	VFMADD213PS  geluHalf<>(SB), Y8, Y10

TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n8+16(FP), CX

gelu_loop:
	CMPQ    CX, $8
	JLT     gelu_done
	VMOVUPS (SI), Y0
	CDF
	VMULPS  Y0, Y10, Y10
	VMOVUPS Y10, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     gelu_loop

gelu_done:
	VZEROUPPER
	RET

TEXT ·geluBackwardAVX2(SB), NOSPLIT, $0-33
	MOVQ dx+0(FP), DX
	MOVQ dy+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ n8+24(FP), CX
	MOVB add+32(FP), AX

geluback_loop:
	CMPQ        CX, $8
	JLT         geluback_done
	VMOVUPS     (SI), Y0
	CDF
	VMULPS      Y0, Y0, Y11
	VMULPS      geluNegHalf<>(SB), Y11, Y11
	EXP(Y11, Y12, Y13)
	VMULPS      Y0, Y11, Y11
	VFMADD231PS geluInvSqrt2Pi<>(SB), Y11, Y10
	VMOVUPS     (DI), Y12
	TESTB       AL, AL
	JZ          geluback_set
	VMOVUPS     (DX), Y13
	VFMADD231PS Y12, Y10, Y13
	VMOVUPS     Y13, (DX)
	JMP         geluback_next

geluback_set:
	VMULPS  Y12, Y10, Y13
	VMOVUPS Y13, (DX)

geluback_next:
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	SUBQ        $8, CX
	JMP         geluback_loop

geluback_done:
	VZEROUPPER
	RET

// func expShiftSumAVX2(y *float32, n8 int, shift float32) float32
//	y[i] = exp(y[i] − shift) for i < n8 (a multiple of 8), in place, and
//	returns Σ y[i]. Arguments below −87 (masked entries) give exactly 0.
//	Register plan: DI y, CX elements left; Y0 the shift, Y1 values (the exp
//	argument and result), Y2 the mask of arguments ≥ −87, Y3 Y4 exp
//	temporaries, Y5 eight partial sums; X6 reduction scratch.
//	Loop structure: for each 8 elements { load, subtract the shift, exp,
//	zero the masked lanes, store, add to the sums }; then reduce the sums.
TEXT ·expShiftSumAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         n8+8(FP), CX
	VBROADCASTSS shift+16(FP), Y0
	VXORPS       Y5, Y5, Y5

expsum_loop:
	CMPQ    CX, $8
	JLT     expsum_reduce
	VMOVUPS (DI), Y1
	VSUBPS  Y0, Y1, Y1
	VCMPPS  $13, expLo<>(SB), Y1, Y2 // Y2 = (Y1 >= -87)
	EXP(Y1, Y3, Y4)
	VANDPS  Y2, Y1, Y1
	VMOVUPS Y1, (DI)
	VADDPS  Y1, Y5, Y5
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     expsum_loop

expsum_reduce:
	VEXTRACTF128 $1, Y5, X6
	VADDPS       X6, X5, X5
	VMOVHLPS     X5, X5, X6
	VADDPS       X6, X5, X5
	VMOVSHDUP    X5, X6
	VADDSS       X6, X5, X5
	VMOVSS       X5, ret+24(FP)
	VZEROUPPER
	RET
