//go:build !purego

// AVX2+FMA LayerNorm over one row of n8 floats (a multiple of 8).
//
// func layerNormRowAVX2(y, x, gamma, beta *float32, n8 int, eps float32) (mean, rstd float32)
//	mean = Σx/n; rstd = 1/√(Σ(x−mean)²/n + eps);
//	y[i] = (x[i]−mean)·rstd·gamma[i] + beta[i].
//	Register plan: SI x, DI y, R8 gamma, R9 beta, CX elements left, R10 a
//	cursor; Y0 Y1 partial sums (two chains), Y2 the broadcast mean, Y3 the
//	broadcast rstd, Y4 Y5 loads and products; X6 X7 scalar arithmetic.
//	Loop structure: three passes over the row: sums of x; sums of squared
//	deviations; the normalised, scaled and shifted output.
//
// func layerNormRowBackwardAVX2(dx, dy, x, gamma *float32, n8 int, mean, rstd float32, add bool)
//	With x̂ = (x−mean)·rstd and g = dy·gamma: mg = Σg/n, mgx = Σg·x̂/n,
//	dx[i] (+)= rstd·(g[i] − mg − x̂[i]·mgx); dx is not read unless add.
//	Register plan: SI x, DI dy, R8 gamma, DX dx, CX elements left; Y0 Y1 the
//	two sums, Y2 mean, Y3 rstd, Y4..Y7 loads and products, Y8 mg, Y9 mgx.
//	Loop structure: one pass for the two sums, one for dx.

#include "textflag.h"

// HSUM(y, x, t) reduces the eight lanes of y (with xmm alias x) into lane 0
// of x, using t as scratch.
#define HSUM(y, x, t) \
	VEXTRACTF128 $1, y, t \
	VADDPS       t, x, x  \
	VMOVHLPS     x, x, t  \
	VADDPS       t, x, x  \
	VMOVSHDUP    x, t     \
	VADDSS       t, x, x

TEXT ·layerNormRowAVX2(SB), NOSPLIT, $0-56
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gamma+16(FP), R8
	MOVQ beta+24(FP), R9
	MOVQ n8+32(FP), CX

	// Pass 1: Σx.
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ   R10, R10

ln_sum:
	CMPQ    R10, CX
	JGE     ln_sum_done
	VADDPS  (SI)(R10*4), Y0, Y0
	ADDQ    $8, R10
	CMPQ    R10, CX
	JGE     ln_sum_done
	VADDPS  (SI)(R10*4), Y1, Y1
	ADDQ    $8, R10
	JMP     ln_sum

ln_sum_done:
	VADDPS    Y1, Y0, Y0
	HSUM(Y0, X0, X6)
	VCVTSI2SSQ CX, X7, X7
	VDIVSS    X7, X0, X0 // mean
	VMOVSS    X0, mean+48(FP)
	VBROADCASTSS mean+48(FP), Y2

	// Pass 2: Σ(x−mean)².
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ   R10, R10

ln_var:
	CMPQ        R10, CX
	JGE         ln_var_done
	VMOVUPS     (SI)(R10*4), Y4
	VSUBPS      Y2, Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ        $8, R10
	CMPQ        R10, CX
	JGE         ln_var_done
	VMOVUPS     (SI)(R10*4), Y5
	VSUBPS      Y2, Y5, Y5
	VFMADD231PS Y5, Y5, Y1
	ADDQ        $8, R10
	JMP         ln_var

ln_var_done:
	VADDPS   Y1, Y0, Y0
	HSUM(Y0, X0, X6)
	VDIVSS   X7, X0, X0 // variance
	VADDSS   eps+40(FP), X0, X0
	VSQRTSS  X0, X0, X0
	MOVL     $0x3f800000, AX
	VMOVD    AX, X6
	VDIVSS   X0, X6, X0 // rstd
	VMOVSS   X0, rstd+52(FP)
	VBROADCASTSS rstd+52(FP), Y3

	// Pass 3: y = (x−mean)·rstd·gamma + beta.
	XORQ R10, R10

ln_out:
	CMPQ        R10, CX
	JGE         ln_done
	VMOVUPS     (SI)(R10*4), Y4
	VSUBPS      Y2, Y4, Y4
	VMULPS      Y3, Y4, Y4
	VMOVUPS     (R9)(R10*4), Y5
	VFMADD231PS (R8)(R10*4), Y4, Y5
	VMOVUPS     Y5, (DI)(R10*4)
	ADDQ        $8, R10
	JMP         ln_out

ln_done:
	VZEROUPPER
	RET

TEXT ·layerNormRowBackwardAVX2(SB), NOSPLIT, $0-49
	MOVQ dx+0(FP), DX
	MOVQ dy+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ gamma+24(FP), R8
	MOVQ n8+32(FP), CX
	VBROADCASTSS mean+40(FP), Y2
	VBROADCASTSS rstd+44(FP), Y3

	// Pass 1: Σ dy·gamma and Σ dy·gamma·x̂.
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ   R10, R10

lnb_sum:
	CMPQ        R10, CX
	JGE         lnb_sum_done
	VMOVUPS     (DI)(R10*4), Y4
	VMULPS      (R8)(R10*4), Y4, Y4 // g
	VADDPS      Y4, Y0, Y0
	VMOVUPS     (SI)(R10*4), Y5
	VSUBPS      Y2, Y5, Y5
	VMULPS      Y3, Y5, Y5          // x̂
	VFMADD231PS Y5, Y4, Y1
	ADDQ        $8, R10
	JMP         lnb_sum

lnb_sum_done:
	VCVTSI2SSQ CX, X7, X7
	HSUM(Y0, X0, X6)
	VDIVSS   X7, X0, X0
	VBROADCASTSS X0, Y8             // mg
	HSUM(Y1, X1, X6)
	VDIVSS   X7, X1, X1
	VBROADCASTSS X1, Y9             // mgx
	MOVB     add+48(FP), AX
	XORQ     R10, R10

lnb_out:
	CMPQ         R10, CX
	JGE          lnb_done
	VMOVUPS      (DI)(R10*4), Y4
	VMULPS       (R8)(R10*4), Y4, Y4 // g
	VSUBPS       Y8, Y4, Y4          // g − mg
	VMOVUPS      (SI)(R10*4), Y5
	VSUBPS       Y2, Y5, Y5
	VMULPS       Y3, Y5, Y5          // x̂
	VFNMADD231PS Y9, Y5, Y4          // g − mg − x̂·mgx
	VMULPS       Y3, Y4, Y4          // ·rstd
	TESTB        AL, AL
	JZ           lnb_store
	VADDPS       (DX)(R10*4), Y4, Y4

lnb_store:
	VMOVUPS Y4, (DX)(R10*4)
	ADDQ    $8, R10
	JMP     lnb_out

lnb_done:
	VZEROUPPER
	RET
