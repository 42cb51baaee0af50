//go:build !purego

// The neon tier's SGEMM packing: gathering 8 rows of A (gatherA) or 12 rows
// of a transposed B (gatherB) into the micro-kernel's depth-major panels,
// four depth steps at a time by 4×4 transposes.
//
// func gather8NEON(src *float32, ld, k4 int, dst *float32)
// func gather12NEON(src *float32, ld, k4 int, dst *float32)
//	dst[p*R + i] = src[i*ld + p] for i < R (8 or 12), p < k4 (a positive
//	multiple of 4).
//	Register plan: R0..R7 (R0..R11) the row pointers, R14 ld in bytes,
//	R12 depth steps left, R13 dst; V0..V11 four depth steps of each row (one
//	register per row); V12..V15 the first half of each 4×4 transpose (TRN1,
//	TRN2 on 32-bit lanes); V16..V27 the transposed columns in store order:
//	depth step q's rows 4g..4g+3 in V(16 + q·R/4 + g), so that each store is
//	one list of four registers.
//	Loop structure: per four depth steps: R loads of 16 bytes; per group of
//	four rows, four TRN on 32-bit lanes and four on 64-bit lanes; then R/4
//	stores of four registers (64 bytes each). The Go loop this replaces
//	moves one float per load and store.

#include "textflag.h"

TEXT ·gather8NEON(SB), NOSPLIT, $0-32
	MOVD   src+0(FP), R0
	MOVD   ld+8(FP), R14
	LSL    $2, R14, R14
	MOVD   k4+16(FP), R12
	MOVD   dst+24(FP), R13
	ADD    R14, R0, R1
	ADD    R14, R1, R2
	ADD    R14, R2, R3
	ADD    R14, R3, R4
	ADD    R14, R4, R5
	ADD    R14, R5, R6
	ADD    R14, R6, R7

g8_loop:
	CBZ    R12, g8_done
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	VLD1.P 16(R2), [V2.S4]
	VLD1.P 16(R3), [V3.S4]
	VLD1.P 16(R4), [V4.S4]
	VLD1.P 16(R5), [V5.S4]
	VLD1.P 16(R6), [V6.S4]
	VLD1.P 16(R7), [V7.S4]
	VTRN1  V1.S4, V0.S4, V12.S4
	VTRN2  V1.S4, V0.S4, V13.S4
	VTRN1  V3.S4, V2.S4, V14.S4
	VTRN2  V3.S4, V2.S4, V15.S4
	VTRN1  V14.D2, V12.D2, V16.D2
	VTRN1  V15.D2, V13.D2, V18.D2
	VTRN2  V14.D2, V12.D2, V20.D2
	VTRN2  V15.D2, V13.D2, V22.D2
	VTRN1  V5.S4, V4.S4, V12.S4
	VTRN2  V5.S4, V4.S4, V13.S4
	VTRN1  V7.S4, V6.S4, V14.S4
	VTRN2  V7.S4, V6.S4, V15.S4
	VTRN1  V14.D2, V12.D2, V17.D2
	VTRN1  V15.D2, V13.D2, V19.D2
	VTRN2  V14.D2, V12.D2, V21.D2
	VTRN2  V15.D2, V13.D2, V23.D2
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R13)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(R13)
	SUB    $4, R12
	B      g8_loop

g8_done:
	RET

TEXT ·gather12NEON(SB), NOSPLIT, $0-32
	MOVD   src+0(FP), R0
	MOVD   ld+8(FP), R14
	LSL    $2, R14, R14
	MOVD   k4+16(FP), R12
	MOVD   dst+24(FP), R13
	ADD    R14, R0, R1
	ADD    R14, R1, R2
	ADD    R14, R2, R3
	ADD    R14, R3, R4
	ADD    R14, R4, R5
	ADD    R14, R5, R6
	ADD    R14, R6, R7
	ADD    R14, R7, R8
	ADD    R14, R8, R9
	ADD    R14, R9, R10
	ADD    R14, R10, R11

g12_loop:
	CBZ    R12, g12_done
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	VLD1.P 16(R2), [V2.S4]
	VLD1.P 16(R3), [V3.S4]
	VLD1.P 16(R4), [V4.S4]
	VLD1.P 16(R5), [V5.S4]
	VLD1.P 16(R6), [V6.S4]
	VLD1.P 16(R7), [V7.S4]
	VLD1.P 16(R8), [V8.S4]
	VLD1.P 16(R9), [V9.S4]
	VLD1.P 16(R10), [V10.S4]
	VLD1.P 16(R11), [V11.S4]
	VTRN1  V1.S4, V0.S4, V12.S4
	VTRN2  V1.S4, V0.S4, V13.S4
	VTRN1  V3.S4, V2.S4, V14.S4
	VTRN2  V3.S4, V2.S4, V15.S4
	VTRN1  V14.D2, V12.D2, V16.D2
	VTRN1  V15.D2, V13.D2, V19.D2
	VTRN2  V14.D2, V12.D2, V22.D2
	VTRN2  V15.D2, V13.D2, V25.D2
	VTRN1  V5.S4, V4.S4, V12.S4
	VTRN2  V5.S4, V4.S4, V13.S4
	VTRN1  V7.S4, V6.S4, V14.S4
	VTRN2  V7.S4, V6.S4, V15.S4
	VTRN1  V14.D2, V12.D2, V17.D2
	VTRN1  V15.D2, V13.D2, V20.D2
	VTRN2  V14.D2, V12.D2, V23.D2
	VTRN2  V15.D2, V13.D2, V26.D2
	VTRN1  V9.S4, V8.S4, V12.S4
	VTRN2  V9.S4, V8.S4, V13.S4
	VTRN1  V11.S4, V10.S4, V14.S4
	VTRN2  V11.S4, V10.S4, V15.S4
	VTRN1  V14.D2, V12.D2, V18.D2
	VTRN1  V15.D2, V13.D2, V21.D2
	VTRN2  V14.D2, V12.D2, V24.D2
	VTRN2  V15.D2, V13.D2, V27.D2
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R13)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(R13)
	VST1.P [V24.S4, V25.S4, V26.S4, V27.S4], 64(R13)
	SUB    $4, R12
	B      g12_loop

g12_done:
	RET
