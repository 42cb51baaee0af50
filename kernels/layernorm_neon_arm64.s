//go:build !purego

// NEON LayerNorm over one row of n4 floats (a multiple of 4), for the neon
// tier; the same passes as layernorm_avx2_amd64.s, four floats per register.
//
// func layerNormRowNEON(y, x, gamma, beta *float32, n4 int, eps float32) (mean, rstd float32)
//	mean = Σx/n; rstd = 1/√(Σ(x−mean)²/n + eps);
//	y[i] = (x[i]−mean)·rstd·gamma[i] + beta[i].
//	Register plan: R0 x (a cursor per pass), R1 y, R2 gamma, R3 beta, R4
//	n4, R5 elements left; V0 V1 partial sums (two chains), V2 V3 loads, V4
//	gamma, V5 beta; F6 n, F7 eps, F16 mean, F17 rstd (lane 0 of V16, V17).
//	Loop structure: three passes over the row: sums of x; sums of squared
//	deviations; the normalised, scaled and shifted output.
//
// func layerNormRowBackwardNEON(dx, dy, x, gamma *float32, n4 int, mean, rstd float32, add bool)
//	With x̂ = (x−mean)·rstd and g = dy·gamma: mg = Σg/n, mgx = Σg·x̂/n,
//	dx[i] (+)= rstd·(g[i] − mg − x̂[i]·mgx); dx is not read unless add.
//	Register plan: R0 x, R1 dy, R2 gamma, R3 dx (loads), R6 dx (stores),
//	R4 n4, R5 left, R7 add; V0 V1 the two sums, V2 x̂, V3 g, V4 gamma, V5
//	dx, V16 mean, V17 rstd, V18 mg, V19 mgx (lane 0 each).
//	Loop structure: one pass for the two sums, one for dx.

#include "textflag.h"

TEXT ·layerNormRowNEON(SB), NOSPLIT, $0-56
	MOVD  y+0(FP), R1
	MOVD  x+8(FP), R0
	MOVD  gamma+16(FP), R2
	MOVD  beta+24(FP), R3
	MOVD  n4+32(FP), R4
	FMOVS eps+40(FP), F7
	SCVTFS R4, F6

	// Pass 1: Σx.
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	MOVD R4, R5
	MOVD x+8(FP), R0

ln_sum:
	CBZ    R5, ln_sum_done
	VLD1.P 16(R0), [V2.S4]
	WORD   $0x4e22d400 // fadd v0.4s, v0.4s, v2.4s
	SUB    $4, R5
	CBZ    R5, ln_sum_done
	VLD1.P 16(R0), [V3.S4]
	WORD   $0x4e23d421 // fadd v1.4s, v1.4s, v3.4s
	SUB    $4, R5
	B      ln_sum

ln_sum_done:
	WORD  $0x4e21d400 // fadd v0.4s, v0.4s, v1.4s
	WORD  $0x6e20d400 // faddp v0.4s, v0.4s, v0.4s
	WORD  $0x7e30d810 // faddp s16, v0.2s
	FDIVS F6, F16, F16 // mean
	VDUP  V16.S[0], V16.S4

	// Pass 2: Σ(x−mean)².
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	MOVD R4, R5
	MOVD x+8(FP), R0

ln_var:
	CBZ    R5, ln_var_done
	VLD1.P 16(R0), [V2.S4]
	WORD   $0x4eb0d442 // fsub v2.4s, v2.4s, v16.4s
	VFMLA  V2.S4, V2.S4, V0.S4
	SUB    $4, R5
	CBZ    R5, ln_var_done
	VLD1.P 16(R0), [V3.S4]
	WORD   $0x4eb0d463 // fsub v3.4s, v3.4s, v16.4s
	VFMLA  V3.S4, V3.S4, V1.S4
	SUB    $4, R5
	B      ln_var

ln_var_done:
	WORD   $0x4e21d400 // fadd v0.4s, v0.4s, v1.4s
	WORD   $0x6e20d400 // faddp v0.4s, v0.4s, v0.4s
	WORD   $0x7e30d811 // faddp s17, v0.2s
	FDIVS  F6, F17, F17
	FADDS  F7, F17, F17
	FSQRTS F17, F17
	FMOVS  $1.0, F1
	FDIVS  F17, F1, F17 // rstd
	FMOVS  F16, mean+48(FP)
	FMOVS  F17, rstd+52(FP)

	// Pass 3: y = (x−mean)·rstd·gamma + beta.
	MOVD R4, R5
	MOVD x+8(FP), R0

ln_out:
	CBZ    R5, ln_done
	VLD1.P 16(R0), [V2.S4]
	VLD1.P 16(R2), [V4.S4]
	VLD1.P 16(R3), [V5.S4]
	WORD   $0x4eb0d442 // fsub v2.4s, v2.4s, v16.4s
	WORD   $0x4f919042 // fmul v2.4s, v2.4s, v17.s[0]
	VFMLA  V2.S4, V4.S4, V5.S4
	VST1.P [V5.S4], 16(R1)
	SUB    $4, R5
	B      ln_out

ln_done:
	RET

TEXT ·layerNormRowBackwardNEON(SB), NOSPLIT, $0-49
	MOVD  dx+0(FP), R3
	MOVD  dy+8(FP), R1
	MOVD  x+16(FP), R0
	MOVD  gamma+24(FP), R2
	MOVD  n4+32(FP), R4
	FMOVS mean+40(FP), F16
	FMOVS rstd+44(FP), F17
	MOVBU add+48(FP), R7
	SCVTFS R4, F6
	VDUP  V16.S[0], V16.S4

	// Pass 1: Σg and Σg·x̂.
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	MOVD R4, R5

lnb_sum:
	CBZ    R5, lnb_sum_done
	VLD1.P 16(R0), [V2.S4]
	VLD1.P 16(R1), [V3.S4]
	VLD1.P 16(R2), [V4.S4]
	WORD   $0x4eb0d442 // fsub v2.4s, v2.4s, v16.4s
	WORD   $0x4f919042 // fmul v2.4s, v2.4s, v17.s[0]
	WORD   $0x6e24dc63 // fmul v3.4s, v3.4s, v4.4s
	WORD   $0x4e23d400 // fadd v0.4s, v0.4s, v3.4s
	VFMLA  V3.S4, V2.S4, V1.S4
	SUB    $4, R5
	B      lnb_sum

lnb_sum_done:
	WORD  $0x6e20d400 // faddp v0.4s, v0.4s, v0.4s
	WORD  $0x7e30d812 // faddp s18, v0.2s
	WORD  $0x6e21d421 // faddp v1.4s, v1.4s, v1.4s
	WORD  $0x7e30d833 // faddp s19, v1.2s
	FDIVS F6, F18, F18 // mg
	FDIVS F6, F19, F19 // mgx
	VDUP  V18.S[0], V18.S4

	// Pass 2: dx (+)= rstd·(g − mg − x̂·mgx).
	MOVD R4, R5
	MOVD x+16(FP), R0
	MOVD dy+8(FP), R1
	MOVD gamma+24(FP), R2
	MOVD R3, R6

lnb_out:
	CBZ    R5, lnb_done
	VLD1.P 16(R0), [V2.S4]
	VLD1.P 16(R1), [V3.S4]
	VLD1.P 16(R2), [V4.S4]
	WORD   $0x4eb0d442 // fsub v2.4s, v2.4s, v16.4s
	WORD   $0x4f919042 // fmul v2.4s, v2.4s, v17.s[0]
	WORD   $0x6e24dc63 // fmul v3.4s, v3.4s, v4.4s
	WORD   $0x4eb2d463 // fsub v3.4s, v3.4s, v18.4s
	WORD   $0x4f935043 // fmls v3.4s, v2.4s, v19.s[0]
	WORD   $0x4f919063 // fmul v3.4s, v3.4s, v17.s[0]
	CBZ    R7, lnb_set
	VLD1.P 16(R3), [V5.S4]
	WORD   $0x4e25d463 // fadd v3.4s, v3.4s, v5.4s

lnb_set:
	VST1.P [V3.S4], 16(R6)
	SUB    $4, R5
	B      lnb_out

lnb_done:
	RET
