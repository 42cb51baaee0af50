//go:build !purego

// AVX2 kernels that quantize float32 activation rows to unsigned bytes for
// the integer products (int8.go's QuantizeRow and packing). Every asm
// integer tier uses them; their results equal the Go versions' bit for bit.
//
// func minMaxAVX2(x *float32, n8 int) (lo, hi float32)
//
//	lo = min(0, x[0..n8)), hi = max(0, x[0..n8)) for n8 a positive multiple
//	of 8; NaN inputs give unspecified results (as in the Go version).
//	Register plan: SI x, CX elements left; Y0, Y3 running minima, Y1, Y4
//	running maxima (all start at 0); Y2, Y5 the loads.
//	Loop structure: loop16 (two loads into two independent min/max
//	chains: one chain waits on VMINPS's latency every step) → one more 8
//	if left → fold Y3 into Y0 and Y4 into Y1 → reduce Y0 and Y1 to scalars
//	(halves, then pairs, then neighbours). min and max are exact, so the
//	order does not change the result.
//
// func quantAVX2(x *float32, n8 int, inv float32, zero int32, dst *uint8, stride int)
//
//	for p < n8: dst[(p/4)·stride + p%4] = clamp(roundEven(x[p]·inv) + zero, 0, 255)
//	with x[p]·inv rounded to float32 first (VMULPS), rounded to an integer
//	to nearest even (VCVTPS2DQ under Go's default MXCSR), and clamped by
//	the signed-saturating pack to int16 and the unsigned-saturating pack to
//	bytes, which together clamp any int32 to [0, 255]. stride = 4 writes a
//	contiguous row; stride = 4·mr writes a row of a packed A panel.
//	Register plan: SI x, CX elements left, DI dst, R8 stride, AX zero;
//	Y15 inv and Y14 zero broadcast; Y0/X0 the values, X1 their upper half.
//	Loop structure: loop8 (load, multiply, convert, add, pack twice, two
//	4-byte stores at DI and DI+stride, DI += 2·stride).

#include "textflag.h"

TEXT ·minMaxAVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n8+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4

loop16:
	CMPQ    CX, $16
	JLT     tail8
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y5
	VMINPS  Y2, Y0, Y0
	VMAXPS  Y2, Y1, Y1
	VMINPS  Y5, Y3, Y3
	VMAXPS  Y5, Y4, Y4
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     loop16

tail8:
	TESTQ   CX, CX
	JZ      reduce
	VMOVUPS (SI), Y2
	VMINPS  Y2, Y0, Y0
	VMAXPS  Y2, Y1, Y1

reduce:
	VMINPS       Y3, Y0, Y0
	VMAXPS       Y4, Y1, Y1
	VEXTRACTF128 $1, Y0, X2
	VMINPS       X2, X0, X0
	VMOVHLPS     X0, X2, X2
	VMINPS       X2, X0, X0
	VMOVSHDUP    X0, X2
	VMINPS       X2, X0, X0
	VEXTRACTF128 $1, Y1, X2
	VMAXPS       X2, X1, X1
	VMOVHLPS     X1, X2, X2
	VMAXPS       X2, X1, X1
	VMOVSHDUP    X1, X2
	VMAXPS       X2, X1, X1
	VMOVSS       X0, lo+16(FP)
	VMOVSS       X1, hi+20(FP)
	VZEROUPPER
	RET

TEXT ·quantAVX2(SB), NOSPLIT, $0-40
	MOVQ         x+0(FP), SI
	MOVQ         n8+8(FP), CX
	VBROADCASTSS inv+16(FP), Y15
	MOVL         zero+20(FP), AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	MOVQ         dst+24(FP), DI
	MOVQ         stride+32(FP), R8

loop8:
	VMOVUPS      (SI), Y0
	VMULPS       Y15, Y0, Y0
	VCVTPS2DQ    Y0, Y0
	VPADDD       Y14, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPACKSSDW    X1, X0, X0
	VPACKUSWB    X0, X0, X0
	VMOVD        X0, (DI)
	VPEXTRD      $1, X0, (DI)(R8*1)
	LEAQ         (DI)(R8*2), DI
	ADDQ         $32, SI
	SUBQ         $8, CX
	JNZ          loop8
	VZEROUPPER
	RET
