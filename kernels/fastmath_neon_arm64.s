//go:build !purego

// NEON elementwise math for the neon tier, four float32 per step: GELU
// (erf form) forward and backward, and the exponentials of a softmax row.
// The algorithms and constants are those of fastmath.go and of the avx2
// tier (fastmath_avx2_amd64.s), step for step.
//
// func geluNEON(y, x *float32, n4 int)
//	y[i] = x[i]·Φ(x[i]) = ½·x[i]·(1 + erf(x[i]/√2)) for i < n4 (a multiple of 4).
// func geluBackwardNEON(dx, dy, x *float32, n4 int, add bool)
//	dx[i] += dy[i]·(Φ(x[i]) + x[i]·φ(x[i])), φ(x) = exp(−x²/2)/√(2π); with
//	add false, dx[i] = dy[i]·(…) and dx is not read.
// func expShiftSumNEON(y *float32, n4 int, shift float32) float32
//	y[i] = exp(y[i] − shift) for i < n4, in place, and returns Σ y[i];
//	arguments below −87 (masked entries) and NaN give exactly 0.
//
// erf(u), u = x/√2: for |u| < 1 the Cephes erff polynomial u·P(u²);
// otherwise 1 − t·Q(t)·exp(−u²) with t = 1/(1 + p·|u|) (Abramowitz and
// Stegun 7.1.26, |u| capped at 9), given u's sign; both are computed and
// selected by the mask |u| < 1 (BSL). exp(v) for v ≤ 0 (EXP): v ≥ −87
// (clamped), n = round(v·log2 e) (FRINTN), r = v − n·ln2 in two parts
// (FMLS by element), e^r by the Cephes polynomial, then n added to the
// exponent bits (FCVTZS, SHL 23, integer ADD).
//
// Constants: 28 float32 in seven registers, four to a register, used by
// element (FMUL, FMLA, FMLS by element) or broadcast with VDUP where an
// instruction has no by-element form (the Horner steps add a constant:
// VDUP the constant, then FMLA the product into it):
//	V24 1/√2, 1, ½, 9          V25 E0..E3 (erff)     V26 E4, E5, E6, p
//	V27 A1..A4 (A&S 7.1.26)    V28 A5, 1/√(2π), −½, −87
//	V29 log2 e, ln2 hi, ln2 lo, C0 (exp)            V30 C1..C4
//	V31 1.0 in every lane.
// Register plan (GELU): R0 x, R1 y or dy, R2 dx, R3 elements left, R4 add;
//	V0 x, V1 u, V2 |u|, V3 u², V4 V5 the erff Horner chain (V4 the small-|u|
//	erf), V6 min(|u|, 9), V7 t, V8 V9 the A&S chain (V8 t·Q(t)), V9 the exp
//	argument and result, V10 the large-|u| erf then Φ(x), V11..V13 exp and
//	select temporaries; backward: V14 dy, V15 dx.
// Register plan (expShiftSum): R0 y (loads), R1 y (stores), R3 left;
//	V20 the shift, V21 −87, V9 the value, V14 the mask (≥ −87), V16 the sums.
// Loop structure: one register (four elements) per pass: load; Φ (both erf
// branches, the exp, select); forward: store x·Φ; backward: the φ term
// (a second exp), dx (+)= dy·gelu', store. expShiftSum: load, subtract the
// shift, mask, exp, zero the masked lanes, store, add to the sums; reduce.

#include "textflag.h"

DATA neonMathK<>+0(SB)/4, $0x3f3504f3   // 1/√2
DATA neonMathK<>+4(SB)/4, $0x3f800000   // 1
DATA neonMathK<>+8(SB)/4, $0x3f000000   // ½
DATA neonMathK<>+12(SB)/4, $0x41100000  // 9
DATA neonMathK<>+16(SB)/4, $0x38a4b519  // E0
DATA neonMathK<>+20(SB)/4, $0xba51fb80  // E1
DATA neonMathK<>+24(SB)/4, $0x3baa02d9  // E2
DATA neonMathK<>+28(SB)/4, $0xbcdbfc87  // E3
DATA neonMathK<>+32(SB)/4, $0x3de7167c  // E4
DATA neonMathK<>+36(SB)/4, $0xbec0939f  // E5
DATA neonMathK<>+40(SB)/4, $0x3f906eba  // E6
DATA neonMathK<>+44(SB)/4, $0x3ea7ba05  // p
DATA neonMathK<>+48(SB)/4, $0x3e827906  // A1
DATA neonMathK<>+52(SB)/4, $0xbe91a98e  // A2
DATA neonMathK<>+56(SB)/4, $0x3fb5f0e3  // A3
DATA neonMathK<>+60(SB)/4, $0xbfba00e3  // A4
DATA neonMathK<>+64(SB)/4, $0x3f87dc22  // A5
DATA neonMathK<>+68(SB)/4, $0x3ecc422a  // 1/√(2π)
DATA neonMathK<>+72(SB)/4, $0xbf000000  // −½
DATA neonMathK<>+76(SB)/4, $0xc2ae0000  // −87
DATA neonMathK<>+80(SB)/4, $0x3fb8aa3b  // log2 e
DATA neonMathK<>+84(SB)/4, $0x3f318000  // ln2 hi
DATA neonMathK<>+88(SB)/4, $0xb95e8083  // ln2 lo
DATA neonMathK<>+92(SB)/4, $0x39506967  // C0
DATA neonMathK<>+96(SB)/4, $0x3ab743ce  // C1
DATA neonMathK<>+100(SB)/4, $0x3c088908 // C2
DATA neonMathK<>+104(SB)/4, $0x3d2aa9c1 // C3
DATA neonMathK<>+108(SB)/4, $0x3e2aaaaa // C4
GLOBL neonMathK<>(SB), RODATA|NOPTR, $112

// LOADK loads the constants into V24..V30 and 1.0 into V31.
#define LOADK \
	MOVD   $neonMathK<>(SB), R9                         \
	VLD1.P 64(R9), [V24.S4, V25.S4, V26.S4, V27.S4]     \
	VLD1   (R9), [V28.S4, V29.S4, V30.S4]               \
	VDUP   V24.S[1], V31.S4

#define EXP \
	VDUP V28.S[3], V13.S4 \
	WORD $0x4e2df529 /* fmax v9.4s, v9.4s, v13.4s */ \
	WORD $0x4f9d912b /* fmul v11.4s, v9.4s, v29.s[0] */ \
	WORD $0x4e21896b /* frintn v11.4s, v11.4s */ \
	WORD $0x4fbd5169 /* fmls v9.4s, v11.4s, v29.s[1] */ \
	WORD $0x4f9d5969 /* fmls v9.4s, v11.4s, v29.s[2] */ \
	VDUP V29.S[3], V12.S4 \
	VDUP V30.S[0], V13.S4 \
	VFMLA V9.S4, V12.S4, V13.S4 \
	VDUP V30.S[1], V12.S4 \
	VFMLA V9.S4, V13.S4, V12.S4 \
	VDUP V30.S[2], V13.S4 \
	VFMLA V9.S4, V12.S4, V13.S4 \
	VDUP V30.S[3], V12.S4 \
	VFMLA V9.S4, V13.S4, V12.S4 \
	VDUP V24.S[2], V13.S4 \
	VFMLA V9.S4, V12.S4, V13.S4 \
	WORD $0x6e29ddad /* fmul v13.4s, v13.4s, v9.4s */ \
	VMOV V9.B16, V12.B16 \
	VFMLA V9.S4, V13.S4, V12.S4 \
	WORD $0x4e3fd58c /* fadd v12.4s, v12.4s, v31.4s */ \
	WORD $0x4ea1b96b /* fcvtzs v11.4s, v11.4s */ \
	VSHL $23, V11.S4, V11.S4 \
	VADD V11.S4, V12.S4, V9.S4

#define CDF \
	WORD $0x4f989001 /* fmul v1.4s, v0.4s, v24.s[0] */ \
	WORD $0x4ea0f822 /* fabs v2.4s, v1.4s */ \
	WORD $0x6e21dc23 /* fmul v3.4s, v1.4s, v1.4s */ \
	VDUP V25.S[0], V4.S4 \
	VDUP V25.S[1], V5.S4 \
	VFMLA V3.S4, V4.S4, V5.S4 \
	VDUP V25.S[2], V4.S4 \
	VFMLA V3.S4, V5.S4, V4.S4 \
	VDUP V25.S[3], V5.S4 \
	VFMLA V3.S4, V4.S4, V5.S4 \
	VDUP V26.S[0], V4.S4 \
	VFMLA V3.S4, V5.S4, V4.S4 \
	VDUP V26.S[1], V5.S4 \
	VFMLA V3.S4, V4.S4, V5.S4 \
	VDUP V26.S[2], V4.S4 \
	VFMLA V3.S4, V5.S4, V4.S4 \
	WORD $0x6e21dc84 /* fmul v4.4s, v4.4s, v1.4s */ \
	VDUP V24.S[3], V6.S4 \
	WORD $0x4ea6f446 /* fmin v6.4s, v2.4s, v6.4s */ \
	VMOV V31.B16, V7.B16 \
	WORD $0x4fba18c7 /* fmla v7.4s, v6.4s, v26.s[3] */ \
	WORD $0x6e27ffe7 /* fdiv v7.4s, v31.4s, v7.4s */ \
	VDUP V28.S[0], V8.S4 \
	VDUP V27.S[3], V9.S4 \
	VFMLA V7.S4, V8.S4, V9.S4 \
	VDUP V27.S[2], V8.S4 \
	VFMLA V7.S4, V9.S4, V8.S4 \
	VDUP V27.S[1], V9.S4 \
	VFMLA V7.S4, V8.S4, V9.S4 \
	VDUP V27.S[0], V8.S4 \
	VFMLA V7.S4, V9.S4, V8.S4 \
	WORD $0x6e27dd08 /* fmul v8.4s, v8.4s, v7.4s */ \
	WORD $0x6e26dcc9 /* fmul v9.4s, v6.4s, v6.4s */ \
	WORD $0x6ea0f929 /* fneg v9.4s, v9.4s */ \
	EXP \
	VMOV V31.B16, V10.B16 \
	VFMLS V8.S4, V9.S4, V10.S4 \
	WORD $0x4f04640b /* movi v11.4s, #0x80, lsl #24 */ \
	VAND V1.B16, V11.B16, V11.B16 \
	VORR V11.B16, V10.B16, V10.B16 \
	WORD $0x6ea2e7ec /* fcmgt v12.4s, v31.4s, v2.4s */ \
	WORD $0x6e6a1c8c /* bsl v12.16b, v4.16b, v10.16b */ \
	VDUP V24.S[2], V10.S4 \
	WORD $0x4f98198a /* fmla v10.4s, v12.4s, v24.s[2] */

TEXT ·geluNEON(SB), NOSPLIT, $0-24
	MOVD y+0(FP), R1
	MOVD x+8(FP), R0
	MOVD n4+16(FP), R3
	LOADK

gelu_loop:
	CBZ    R3, gelu_done
	VLD1.P 16(R0), [V0.S4]
	CDF
	WORD   $0x6e20dd4a // fmul v10.4s, v10.4s, v0.4s
	VST1.P [V10.S4], 16(R1)
	SUB    $4, R3
	B      gelu_loop

gelu_done:
	RET

TEXT ·geluBackwardNEON(SB), NOSPLIT, $0-33
	MOVD  dx+0(FP), R2
	MOVD  dy+8(FP), R1
	MOVD  x+16(FP), R0
	MOVD  n4+24(FP), R3
	MOVBU add+32(FP), R4
	LOADK

geluback_loop:
	CBZ    R3, geluback_done
	VLD1.P 16(R0), [V0.S4]
	CDF
	WORD   $0x6e20dc09 // fmul v9.4s, v0.4s, v0.4s
	WORD   $0x4f9c9929 // fmul v9.4s, v9.4s, v28.s[2]
	EXP
	WORD   $0x6e20dd29 // fmul v9.4s, v9.4s, v0.4s
	WORD   $0x4fbc112a // fmla v10.4s, v9.4s, v28.s[1]
	VLD1.P 16(R1), [V14.S4]
	CBZ    R4, geluback_set
	VLD1   (R2), [V15.S4]
	VFMLA  V14.S4, V10.S4, V15.S4
	VST1.P [V15.S4], 16(R2)
	SUB    $4, R3
	B      geluback_loop

geluback_set:
	WORD   $0x6e2addcf // fmul v15.4s, v14.4s, v10.4s
	VST1.P [V15.S4], 16(R2)
	SUB    $4, R3
	B      geluback_loop

geluback_done:
	RET

TEXT ·expShiftSumNEON(SB), NOSPLIT, $0-28
	MOVD  y+0(FP), R0
	MOVD  n4+8(FP), R3
	FMOVS shift+16(FP), F20
	MOVD  R0, R1
	LOADK
	VDUP  V20.S[0], V20.S4
	VDUP  V28.S[3], V21.S4
	VEOR  V16.B16, V16.B16, V16.B16

expsum_loop:
	CBZ    R3, expsum_reduce
	VLD1.P 16(R0), [V9.S4]
	WORD   $0x4eb4d529 // fsub v9.4s, v9.4s, v20.4s
	WORD   $0x6e35e52e // fcmge v14.4s, v9.4s, v21.4s
	EXP
	VAND   V14.B16, V9.B16, V9.B16
	VST1.P [V9.S4], 16(R1)
	WORD   $0x4e29d610 // fadd v16.4s, v16.4s, v9.4s
	SUB    $4, R3
	B      expsum_loop

expsum_reduce:
	WORD  $0x6e30d610 // faddp v16.4s, v16.4s, v16.4s
	WORD  $0x7e30da00 // faddp s0, v16.2s
	FMOVS F0, ret+24(FP)
	RET
