//go:build !purego

// NEON (ASIMD) vector kernels for the neon tier: dot, axpy, scale, the
// largest element of a row, and the SQ8 scan's row dot product. Every
// arm64 CPU has ASIMD. Go's assembler names the loads, stores, integer
// and logical vector instructions and the vector FMLA; the other
// floating-point instructions are WORDs whose GNU mnemonic is in the
// comment (gen_armwords.go fills the words, TestArm64Words checks them).
//
// func dotNEON(x, y *float32, n int) float32
//	Register plan: R0 x, R1 y, R2 elements left; V0..V7 x, V8..V15 y
//	(32 elements per iteration), V16..V23 eight partial sums; F1 F2 the
//	scalar tail's operands, F0 the sum.
//	Loop structure: loop32 (two 4-register loads from each vector, eight
//	FMLA) → loop4 (one register, into V16) → reduce the eight sums
//	pairwise to s0 → loop1 (scalar multiply and add).
//	Each FMLA needs two 16-byte loads; a core with two load pipes (Neoverse
//	N1, Cortex-A76) feeds one FMLA per cycle, so dot is load-bound and eight
//	accumulators cover the 4-cycle FMLA latency twice over.
//
// func axpyNEON(alpha float32, x, y *float32, n int)
//	y[i] += alpha·x[i]. R0 x, R1 y (loads), R3 y (stores), R2 elements left;
//	V31 alpha in every lane; V0..V3 x, V4..V7 y (16 per iteration).
//	Loop structure: loop16 → loop4 → loop1 (scalar).
//
// func scaleNEON(alpha float32, x *float32, n int)
//	x[i] *= alpha. R0 x (loads), R3 x (stores), R2 elements left; V31
//	alpha; V0..V3 data. Loop structure: loop16 → loop4 → loop1.
//
// func maxNEON(x *float32, n4 int) float32
//	The largest of n4 (a positive multiple of 4) elements; FMAX and FMAXV
//	return NaN when any operand is NaN, as Go's max does. R0 x, R2 left;
//	V0 V1 running maxima, V2 V3 loads. Loop structure: loop8 → loop4 →
//	fmax of the two, fmaxv across lanes.
//
// func dotU8NEON(w *float32, c *uint8, n int) float32
//	Σ w[t]·c[t]. R0 w, R1 c, R2 elements left; V0 16 bytes, V1 V2 their
//	halves widened to 16 bits (UXTL, UXTL2), V3..V6 widened to 32 bits and
//	converted (UCVTF, exact: bytes are below 2^24), V7..V10 weights,
//	V16..V19 four partial sums. Loop structure: loop16 (one 16-byte load,
//	six widenings, four conversions, four FMLA) → reduce → loop1 (MOVBU,
//	UCVTF, scalar multiply-add).

#include "textflag.h"

TEXT ·dotNEON(SB), NOSPLIT, $0-28
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R2
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16

dot_loop32:
	CMP    $32, R2
	BLT    dot_loop4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V12.S4, V13.S4, V14.S4, V15.S4]
	VFMLA  V0.S4, V8.S4, V16.S4
	VFMLA  V1.S4, V9.S4, V17.S4
	VFMLA  V2.S4, V10.S4, V18.S4
	VFMLA  V3.S4, V11.S4, V19.S4
	VFMLA  V4.S4, V12.S4, V20.S4
	VFMLA  V5.S4, V13.S4, V21.S4
	VFMLA  V6.S4, V14.S4, V22.S4
	VFMLA  V7.S4, V15.S4, V23.S4
	SUB    $32, R2
	B      dot_loop32

dot_loop4:
	CMP    $4, R2
	BLT    dot_reduce
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V8.S4]
	VFMLA  V0.S4, V8.S4, V16.S4
	SUB    $4, R2
	B      dot_loop4

dot_reduce:
	WORD $0x4e31d610 // fadd v16.4s, v16.4s, v17.4s
	WORD $0x4e33d652 // fadd v18.4s, v18.4s, v19.4s
	WORD $0x4e35d694 // fadd v20.4s, v20.4s, v21.4s
	WORD $0x4e37d6d6 // fadd v22.4s, v22.4s, v23.4s
	WORD $0x4e32d610 // fadd v16.4s, v16.4s, v18.4s
	WORD $0x4e36d694 // fadd v20.4s, v20.4s, v22.4s
	WORD $0x4e34d610 // fadd v16.4s, v16.4s, v20.4s
	WORD $0x6e30d610 // faddp v16.4s, v16.4s, v16.4s
	WORD $0x7e30da00 // faddp s0, v16.2s

dot_loop1:
	CBZ     R2, dot_done
	FMOVS.P 4(R0), F1
	FMOVS.P 4(R1), F2
	FMULS   F1, F2, F2
	FADDS   F2, F0
	SUB     $1, R2
	B       dot_loop1

dot_done:
	FMOVS F0, ret+24(FP)
	RET

TEXT ·axpyNEON(SB), NOSPLIT, $0-32
	FMOVS alpha+0(FP), F31
	MOVD  x+8(FP), R0
	MOVD  y+16(FP), R1
	MOVD  n+24(FP), R2
	MOVD  R1, R3
	VDUP  V31.S[0], V31.S4

axpy_loop16:
	CMP    $16, R2
	BLT    axpy_loop4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V31.S4, V4.S4
	VFMLA  V1.S4, V31.S4, V5.S4
	VFMLA  V2.S4, V31.S4, V6.S4
	VFMLA  V3.S4, V31.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R3)
	SUB    $16, R2
	B      axpy_loop16

axpy_loop4:
	CMP    $4, R2
	BLT    axpy_loop1
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	VFMLA  V0.S4, V31.S4, V4.S4
	VST1.P [V4.S4], 16(R3)
	SUB    $4, R2
	B      axpy_loop4

axpy_loop1:
	CBZ     R2, axpy_done
	FMOVS.P 4(R0), F1
	FMOVS   (R3), F2
	FMULS   F31, F1, F1
	FADDS   F1, F2
	FMOVS.P F2, 4(R3)
	SUB     $1, R2
	B       axpy_loop1

axpy_done:
	RET

TEXT ·scaleNEON(SB), NOSPLIT, $0-24
	FMOVS alpha+0(FP), F31
	MOVD  x+8(FP), R0
	MOVD  n+16(FP), R2
	MOVD  R0, R3

scale_loop16:
	CMP    $16, R2
	BLT    scale_loop4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4f9f9000 // fmul v0.4s, v0.4s, v31.s[0]
	WORD   $0x4f9f9021 // fmul v1.4s, v1.4s, v31.s[0]
	WORD   $0x4f9f9042 // fmul v2.4s, v2.4s, v31.s[0]
	WORD   $0x4f9f9063 // fmul v3.4s, v3.4s, v31.s[0]
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R3)
	SUB    $16, R2
	B      scale_loop16

scale_loop4:
	CMP    $4, R2
	BLT    scale_loop1
	VLD1.P 16(R0), [V0.S4]
	WORD   $0x4f9f9000 // fmul v0.4s, v0.4s, v31.s[0]
	VST1.P [V0.S4], 16(R3)
	SUB    $4, R2
	B      scale_loop4

scale_loop1:
	CBZ     R2, scale_done
	FMOVS   (R3), F1
	FMULS   F31, F1, F1
	FMOVS.P F1, 4(R3)
	SUB     $1, R2
	B       scale_loop1

scale_done:
	RET

TEXT ·maxNEON(SB), NOSPLIT, $0-20
	MOVD   x+0(FP), R0
	MOVD   n4+8(FP), R2
	VLD1.P 16(R0), [V0.S4]
	SUB    $4, R2
	VMOV   V0.B16, V1.B16

max_loop8:
	CMP    $8, R2
	BLT    max_loop4
	VLD1.P 32(R0), [V2.S4, V3.S4]
	WORD   $0x4e22f400 // fmax v0.4s, v0.4s, v2.4s
	WORD   $0x4e23f421 // fmax v1.4s, v1.4s, v3.4s
	SUB    $8, R2
	B      max_loop8

max_loop4:
	CBZ    R2, max_reduce
	VLD1.P 16(R0), [V2.S4]
	WORD   $0x4e22f400 // fmax v0.4s, v0.4s, v2.4s
	SUB    $4, R2
	B      max_loop4

max_reduce:
	WORD  $0x4e21f400 // fmax v0.4s, v0.4s, v1.4s
	WORD  $0x6e30f800 // fmaxv s0, v0.4s
	FMOVS F0, ret+16(FP)
	RET

TEXT ·dotU8NEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD c+8(FP), R1
	MOVD n+16(FP), R2
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16

u8_loop16:
	CMP    $16, R2
	BLT    u8_reduce
	VLD1.P 16(R1), [V0.B16]
	VLD1.P 64(R0), [V7.S4, V8.S4, V9.S4, V10.S4]
	VUXTL  V0.B8, V1.H8
	VUXTL2 V0.B16, V2.H8
	VUXTL  V1.H4, V3.S4
	VUXTL2 V1.H8, V4.S4
	VUXTL  V2.H4, V5.S4
	VUXTL2 V2.H8, V6.S4
	WORD   $0x6e21d863 // ucvtf v3.4s, v3.4s
	WORD   $0x6e21d884 // ucvtf v4.4s, v4.4s
	WORD   $0x6e21d8a5 // ucvtf v5.4s, v5.4s
	WORD   $0x6e21d8c6 // ucvtf v6.4s, v6.4s
	VFMLA  V3.S4, V7.S4, V16.S4
	VFMLA  V4.S4, V8.S4, V17.S4
	VFMLA  V5.S4, V9.S4, V18.S4
	VFMLA  V6.S4, V10.S4, V19.S4
	SUB    $16, R2
	B      u8_loop16

u8_reduce:
	WORD $0x4e31d610 // fadd v16.4s, v16.4s, v17.4s
	WORD $0x4e33d652 // fadd v18.4s, v18.4s, v19.4s
	WORD $0x4e32d610 // fadd v16.4s, v16.4s, v18.4s
	WORD $0x6e30d610 // faddp v16.4s, v16.4s, v16.4s
	WORD $0x7e30da00 // faddp s0, v16.2s

u8_loop1:
	CBZ     R2, u8_done
	MOVBU.P 1(R1), R3
	FMOVS.P 4(R0), F1
	WORD    $0x1e230062 // ucvtf s2, w3
	FMULS   F1, F2, F2
	FADDS   F2, F0
	SUB     $1, R2
	B       u8_loop1

u8_done:
	FMOVS F0, ret+24(FP)
	RET
