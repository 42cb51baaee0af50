//go:build !purego

// The neon tier's SGEMM micro-kernel: an 8×12 tile of C in 24 of the 32
// 128-bit registers, from panels packed by the Go driver (pack.go).
//
// func sgemmMicroNEON(k int, a, b, c *float32, ldc int, alpha, beta float32)
//	c[i*ldc+j] = alpha·Σ_{p<k} a[p*8+i]·b[p*12+j] + beta·c[i*ldc+j] for
//	i < 8, j < 12; c is not read when beta is 0 (±0).
//
// Register plan:
//	R0 a, R1 b, R2 depth steps left, R3 c (the row being stored), R4 ldc
//	in bytes, R5 beta's bits;
//	V0 V1 the eight A values of one depth step (rows 0–3, 4–7);
//	V2 V3 V4 the twelve B values (columns 0–3, 4–7, 8–11);
//	V8..V31 the accumulators: row i, columns 4q..4q+3 in V(8+3i+q);
//	epilogue: V5 alpha, V6 beta (lane 0), V0 V1 V2 a row of C.
//
// Loop structure: loop2 (two depth steps per pass, the same registers:
// register renaming overlaps them) → loop1 (the odd step) → epilogue, row
// by row: beta 0: C = alpha·acc; else C = alpha·acc + beta·C with the two
// products rounded separately, as the Go driver's mergeTile does.
//
// Per depth step: two loads (VLD1 of 32 and 48 bytes, 5 registers) and 24
// FMLA by element (an A lane times a B vector): 96 multiply-adds, 0.21
// loads per FMLA. Neoverse N1 and Cortex-A76 issue two 128-bit FMLA per
// cycle (4-cycle latency) and two loads, so one step takes at least 12
// cycles of FMLA issue against 2–3 of loads; 24 independent accumulators
// cover the latency (8 in flight needed). docs/arm64.md gives the account.

#include "textflag.h"

TEXT ·sgemmMicroNEON(SB), NOSPLIT, $0-48
	MOVD k+0(FP), R2
	MOVD a+8(FP), R0
	MOVD b+16(FP), R1
	MOVD c+24(FP), R3
	MOVD ldc+32(FP), R4
	LSL  $2, R4, R4

	VEOR   V8.B16, V8.B16, V8.B16
	VEOR   V9.B16, V9.B16, V9.B16
	VEOR   V10.B16, V10.B16, V10.B16
	VEOR   V11.B16, V11.B16, V11.B16
	VEOR   V12.B16, V12.B16, V12.B16
	VEOR   V13.B16, V13.B16, V13.B16
	VEOR   V14.B16, V14.B16, V14.B16
	VEOR   V15.B16, V15.B16, V15.B16
	VEOR   V16.B16, V16.B16, V16.B16
	VEOR   V17.B16, V17.B16, V17.B16
	VEOR   V18.B16, V18.B16, V18.B16
	VEOR   V19.B16, V19.B16, V19.B16
	VEOR   V20.B16, V20.B16, V20.B16
	VEOR   V21.B16, V21.B16, V21.B16
	VEOR   V22.B16, V22.B16, V22.B16
	VEOR   V23.B16, V23.B16, V23.B16
	VEOR   V24.B16, V24.B16, V24.B16
	VEOR   V25.B16, V25.B16, V25.B16
	VEOR   V26.B16, V26.B16, V26.B16
	VEOR   V27.B16, V27.B16, V27.B16
	VEOR   V28.B16, V28.B16, V28.B16
	VEOR   V29.B16, V29.B16, V29.B16
	VEOR   V30.B16, V30.B16, V30.B16
	VEOR   V31.B16, V31.B16, V31.B16

micro_loop2:
	CMP    $2, R2
	BLT    micro_loop1
	VLD1.P 32(R0), [V0.S4, V1.S4]
	VLD1.P 48(R1), [V2.S4, V3.S4, V4.S4]
	WORD   $0x4f801048 // fmla v8.4s, v2.4s, v0.s[0]
	WORD   $0x4f801069 // fmla v9.4s, v3.4s, v0.s[0]
	WORD   $0x4f80108a // fmla v10.4s, v4.4s, v0.s[0]
	WORD   $0x4fa0104b // fmla v11.4s, v2.4s, v0.s[1]
	WORD   $0x4fa0106c // fmla v12.4s, v3.4s, v0.s[1]
	WORD   $0x4fa0108d // fmla v13.4s, v4.4s, v0.s[1]
	WORD   $0x4f80184e // fmla v14.4s, v2.4s, v0.s[2]
	WORD   $0x4f80186f // fmla v15.4s, v3.4s, v0.s[2]
	WORD   $0x4f801890 // fmla v16.4s, v4.4s, v0.s[2]
	WORD   $0x4fa01851 // fmla v17.4s, v2.4s, v0.s[3]
	WORD   $0x4fa01872 // fmla v18.4s, v3.4s, v0.s[3]
	WORD   $0x4fa01893 // fmla v19.4s, v4.4s, v0.s[3]
	WORD   $0x4f811054 // fmla v20.4s, v2.4s, v1.s[0]
	WORD   $0x4f811075 // fmla v21.4s, v3.4s, v1.s[0]
	WORD   $0x4f811096 // fmla v22.4s, v4.4s, v1.s[0]
	WORD   $0x4fa11057 // fmla v23.4s, v2.4s, v1.s[1]
	WORD   $0x4fa11078 // fmla v24.4s, v3.4s, v1.s[1]
	WORD   $0x4fa11099 // fmla v25.4s, v4.4s, v1.s[1]
	WORD   $0x4f81185a // fmla v26.4s, v2.4s, v1.s[2]
	WORD   $0x4f81187b // fmla v27.4s, v3.4s, v1.s[2]
	WORD   $0x4f81189c // fmla v28.4s, v4.4s, v1.s[2]
	WORD   $0x4fa1185d // fmla v29.4s, v2.4s, v1.s[3]
	WORD   $0x4fa1187e // fmla v30.4s, v3.4s, v1.s[3]
	WORD   $0x4fa1189f // fmla v31.4s, v4.4s, v1.s[3]
	VLD1.P 32(R0), [V0.S4, V1.S4]
	VLD1.P 48(R1), [V2.S4, V3.S4, V4.S4]
	WORD   $0x4f801048 // fmla v8.4s, v2.4s, v0.s[0]
	WORD   $0x4f801069 // fmla v9.4s, v3.4s, v0.s[0]
	WORD   $0x4f80108a // fmla v10.4s, v4.4s, v0.s[0]
	WORD   $0x4fa0104b // fmla v11.4s, v2.4s, v0.s[1]
	WORD   $0x4fa0106c // fmla v12.4s, v3.4s, v0.s[1]
	WORD   $0x4fa0108d // fmla v13.4s, v4.4s, v0.s[1]
	WORD   $0x4f80184e // fmla v14.4s, v2.4s, v0.s[2]
	WORD   $0x4f80186f // fmla v15.4s, v3.4s, v0.s[2]
	WORD   $0x4f801890 // fmla v16.4s, v4.4s, v0.s[2]
	WORD   $0x4fa01851 // fmla v17.4s, v2.4s, v0.s[3]
	WORD   $0x4fa01872 // fmla v18.4s, v3.4s, v0.s[3]
	WORD   $0x4fa01893 // fmla v19.4s, v4.4s, v0.s[3]
	WORD   $0x4f811054 // fmla v20.4s, v2.4s, v1.s[0]
	WORD   $0x4f811075 // fmla v21.4s, v3.4s, v1.s[0]
	WORD   $0x4f811096 // fmla v22.4s, v4.4s, v1.s[0]
	WORD   $0x4fa11057 // fmla v23.4s, v2.4s, v1.s[1]
	WORD   $0x4fa11078 // fmla v24.4s, v3.4s, v1.s[1]
	WORD   $0x4fa11099 // fmla v25.4s, v4.4s, v1.s[1]
	WORD   $0x4f81185a // fmla v26.4s, v2.4s, v1.s[2]
	WORD   $0x4f81187b // fmla v27.4s, v3.4s, v1.s[2]
	WORD   $0x4f81189c // fmla v28.4s, v4.4s, v1.s[2]
	WORD   $0x4fa1185d // fmla v29.4s, v2.4s, v1.s[3]
	WORD   $0x4fa1187e // fmla v30.4s, v3.4s, v1.s[3]
	WORD   $0x4fa1189f // fmla v31.4s, v4.4s, v1.s[3]
	SUB    $2, R2
	B      micro_loop2

micro_loop1:
	CBZ    R2, micro_store
	VLD1.P 32(R0), [V0.S4, V1.S4]
	VLD1.P 48(R1), [V2.S4, V3.S4, V4.S4]
	WORD   $0x4f801048 // fmla v8.4s, v2.4s, v0.s[0]
	WORD   $0x4f801069 // fmla v9.4s, v3.4s, v0.s[0]
	WORD   $0x4f80108a // fmla v10.4s, v4.4s, v0.s[0]
	WORD   $0x4fa0104b // fmla v11.4s, v2.4s, v0.s[1]
	WORD   $0x4fa0106c // fmla v12.4s, v3.4s, v0.s[1]
	WORD   $0x4fa0108d // fmla v13.4s, v4.4s, v0.s[1]
	WORD   $0x4f80184e // fmla v14.4s, v2.4s, v0.s[2]
	WORD   $0x4f80186f // fmla v15.4s, v3.4s, v0.s[2]
	WORD   $0x4f801890 // fmla v16.4s, v4.4s, v0.s[2]
	WORD   $0x4fa01851 // fmla v17.4s, v2.4s, v0.s[3]
	WORD   $0x4fa01872 // fmla v18.4s, v3.4s, v0.s[3]
	WORD   $0x4fa01893 // fmla v19.4s, v4.4s, v0.s[3]
	WORD   $0x4f811054 // fmla v20.4s, v2.4s, v1.s[0]
	WORD   $0x4f811075 // fmla v21.4s, v3.4s, v1.s[0]
	WORD   $0x4f811096 // fmla v22.4s, v4.4s, v1.s[0]
	WORD   $0x4fa11057 // fmla v23.4s, v2.4s, v1.s[1]
	WORD   $0x4fa11078 // fmla v24.4s, v3.4s, v1.s[1]
	WORD   $0x4fa11099 // fmla v25.4s, v4.4s, v1.s[1]
	WORD   $0x4f81185a // fmla v26.4s, v2.4s, v1.s[2]
	WORD   $0x4f81187b // fmla v27.4s, v3.4s, v1.s[2]
	WORD   $0x4f81189c // fmla v28.4s, v4.4s, v1.s[2]
	WORD   $0x4fa1185d // fmla v29.4s, v2.4s, v1.s[3]
	WORD   $0x4fa1187e // fmla v30.4s, v3.4s, v1.s[3]
	WORD   $0x4fa1189f // fmla v31.4s, v4.4s, v1.s[3]

micro_store:
	FMOVS  alpha+40(FP), F5
	FMOVS  beta+44(FP), F6
	MOVWU  beta+44(FP), R5
	LSLW   $1, R5, R5 // drop the sign: -0 is 0
	CBNZW  R5, micro_beta
	WORD   $0x4f859108 // fmul v8.4s, v8.4s, v5.s[0]
	WORD   $0x4f859129 // fmul v9.4s, v9.4s, v5.s[0]
	WORD   $0x4f85914a // fmul v10.4s, v10.4s, v5.s[0]
	VST1   [V8.S4, V9.S4, V10.S4], (R3)
	ADD    R4, R3, R3
	WORD   $0x4f85916b // fmul v11.4s, v11.4s, v5.s[0]
	WORD   $0x4f85918c // fmul v12.4s, v12.4s, v5.s[0]
	WORD   $0x4f8591ad // fmul v13.4s, v13.4s, v5.s[0]
	VST1   [V11.S4, V12.S4, V13.S4], (R3)
	ADD    R4, R3, R3
	WORD   $0x4f8591ce // fmul v14.4s, v14.4s, v5.s[0]
	WORD   $0x4f8591ef // fmul v15.4s, v15.4s, v5.s[0]
	WORD   $0x4f859210 // fmul v16.4s, v16.4s, v5.s[0]
	VST1   [V14.S4, V15.S4, V16.S4], (R3)
	ADD    R4, R3, R3
	WORD   $0x4f859231 // fmul v17.4s, v17.4s, v5.s[0]
	WORD   $0x4f859252 // fmul v18.4s, v18.4s, v5.s[0]
	WORD   $0x4f859273 // fmul v19.4s, v19.4s, v5.s[0]
	VST1   [V17.S4, V18.S4, V19.S4], (R3)
	ADD    R4, R3, R3
	WORD   $0x4f859294 // fmul v20.4s, v20.4s, v5.s[0]
	WORD   $0x4f8592b5 // fmul v21.4s, v21.4s, v5.s[0]
	WORD   $0x4f8592d6 // fmul v22.4s, v22.4s, v5.s[0]
	VST1   [V20.S4, V21.S4, V22.S4], (R3)
	ADD    R4, R3, R3
	WORD   $0x4f8592f7 // fmul v23.4s, v23.4s, v5.s[0]
	WORD   $0x4f859318 // fmul v24.4s, v24.4s, v5.s[0]
	WORD   $0x4f859339 // fmul v25.4s, v25.4s, v5.s[0]
	VST1   [V23.S4, V24.S4, V25.S4], (R3)
	ADD    R4, R3, R3
	WORD   $0x4f85935a // fmul v26.4s, v26.4s, v5.s[0]
	WORD   $0x4f85937b // fmul v27.4s, v27.4s, v5.s[0]
	WORD   $0x4f85939c // fmul v28.4s, v28.4s, v5.s[0]
	VST1   [V26.S4, V27.S4, V28.S4], (R3)
	ADD    R4, R3, R3
	WORD   $0x4f8593bd // fmul v29.4s, v29.4s, v5.s[0]
	WORD   $0x4f8593de // fmul v30.4s, v30.4s, v5.s[0]
	WORD   $0x4f8593ff // fmul v31.4s, v31.4s, v5.s[0]
	VST1   [V29.S4, V30.S4, V31.S4], (R3)
	RET

micro_beta:
	VLD1   (R3), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4f869000 // fmul v0.4s, v0.4s, v6.s[0]
	WORD   $0x4f869021 // fmul v1.4s, v1.4s, v6.s[0]
	WORD   $0x4f869042 // fmul v2.4s, v2.4s, v6.s[0]
	WORD   $0x4f859108 // fmul v8.4s, v8.4s, v5.s[0]
	WORD   $0x4f859129 // fmul v9.4s, v9.4s, v5.s[0]
	WORD   $0x4f85914a // fmul v10.4s, v10.4s, v5.s[0]
	WORD   $0x4e20d508 // fadd v8.4s, v8.4s, v0.4s
	WORD   $0x4e21d529 // fadd v9.4s, v9.4s, v1.4s
	WORD   $0x4e22d54a // fadd v10.4s, v10.4s, v2.4s
	VST1   [V8.S4, V9.S4, V10.S4], (R3)
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4f869000 // fmul v0.4s, v0.4s, v6.s[0]
	WORD   $0x4f869021 // fmul v1.4s, v1.4s, v6.s[0]
	WORD   $0x4f869042 // fmul v2.4s, v2.4s, v6.s[0]
	WORD   $0x4f85916b // fmul v11.4s, v11.4s, v5.s[0]
	WORD   $0x4f85918c // fmul v12.4s, v12.4s, v5.s[0]
	WORD   $0x4f8591ad // fmul v13.4s, v13.4s, v5.s[0]
	WORD   $0x4e20d56b // fadd v11.4s, v11.4s, v0.4s
	WORD   $0x4e21d58c // fadd v12.4s, v12.4s, v1.4s
	WORD   $0x4e22d5ad // fadd v13.4s, v13.4s, v2.4s
	VST1   [V11.S4, V12.S4, V13.S4], (R3)
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4f869000 // fmul v0.4s, v0.4s, v6.s[0]
	WORD   $0x4f869021 // fmul v1.4s, v1.4s, v6.s[0]
	WORD   $0x4f869042 // fmul v2.4s, v2.4s, v6.s[0]
	WORD   $0x4f8591ce // fmul v14.4s, v14.4s, v5.s[0]
	WORD   $0x4f8591ef // fmul v15.4s, v15.4s, v5.s[0]
	WORD   $0x4f859210 // fmul v16.4s, v16.4s, v5.s[0]
	WORD   $0x4e20d5ce // fadd v14.4s, v14.4s, v0.4s
	WORD   $0x4e21d5ef // fadd v15.4s, v15.4s, v1.4s
	WORD   $0x4e22d610 // fadd v16.4s, v16.4s, v2.4s
	VST1   [V14.S4, V15.S4, V16.S4], (R3)
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4f869000 // fmul v0.4s, v0.4s, v6.s[0]
	WORD   $0x4f869021 // fmul v1.4s, v1.4s, v6.s[0]
	WORD   $0x4f869042 // fmul v2.4s, v2.4s, v6.s[0]
	WORD   $0x4f859231 // fmul v17.4s, v17.4s, v5.s[0]
	WORD   $0x4f859252 // fmul v18.4s, v18.4s, v5.s[0]
	WORD   $0x4f859273 // fmul v19.4s, v19.4s, v5.s[0]
	WORD   $0x4e20d631 // fadd v17.4s, v17.4s, v0.4s
	WORD   $0x4e21d652 // fadd v18.4s, v18.4s, v1.4s
	WORD   $0x4e22d673 // fadd v19.4s, v19.4s, v2.4s
	VST1   [V17.S4, V18.S4, V19.S4], (R3)
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4f869000 // fmul v0.4s, v0.4s, v6.s[0]
	WORD   $0x4f869021 // fmul v1.4s, v1.4s, v6.s[0]
	WORD   $0x4f869042 // fmul v2.4s, v2.4s, v6.s[0]
	WORD   $0x4f859294 // fmul v20.4s, v20.4s, v5.s[0]
	WORD   $0x4f8592b5 // fmul v21.4s, v21.4s, v5.s[0]
	WORD   $0x4f8592d6 // fmul v22.4s, v22.4s, v5.s[0]
	WORD   $0x4e20d694 // fadd v20.4s, v20.4s, v0.4s
	WORD   $0x4e21d6b5 // fadd v21.4s, v21.4s, v1.4s
	WORD   $0x4e22d6d6 // fadd v22.4s, v22.4s, v2.4s
	VST1   [V20.S4, V21.S4, V22.S4], (R3)
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4f869000 // fmul v0.4s, v0.4s, v6.s[0]
	WORD   $0x4f869021 // fmul v1.4s, v1.4s, v6.s[0]
	WORD   $0x4f869042 // fmul v2.4s, v2.4s, v6.s[0]
	WORD   $0x4f8592f7 // fmul v23.4s, v23.4s, v5.s[0]
	WORD   $0x4f859318 // fmul v24.4s, v24.4s, v5.s[0]
	WORD   $0x4f859339 // fmul v25.4s, v25.4s, v5.s[0]
	WORD   $0x4e20d6f7 // fadd v23.4s, v23.4s, v0.4s
	WORD   $0x4e21d718 // fadd v24.4s, v24.4s, v1.4s
	WORD   $0x4e22d739 // fadd v25.4s, v25.4s, v2.4s
	VST1   [V23.S4, V24.S4, V25.S4], (R3)
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4f869000 // fmul v0.4s, v0.4s, v6.s[0]
	WORD   $0x4f869021 // fmul v1.4s, v1.4s, v6.s[0]
	WORD   $0x4f869042 // fmul v2.4s, v2.4s, v6.s[0]
	WORD   $0x4f85935a // fmul v26.4s, v26.4s, v5.s[0]
	WORD   $0x4f85937b // fmul v27.4s, v27.4s, v5.s[0]
	WORD   $0x4f85939c // fmul v28.4s, v28.4s, v5.s[0]
	WORD   $0x4e20d75a // fadd v26.4s, v26.4s, v0.4s
	WORD   $0x4e21d77b // fadd v27.4s, v27.4s, v1.4s
	WORD   $0x4e22d79c // fadd v28.4s, v28.4s, v2.4s
	VST1   [V26.S4, V27.S4, V28.S4], (R3)
	ADD    R4, R3, R3
	VLD1   (R3), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4f869000 // fmul v0.4s, v0.4s, v6.s[0]
	WORD   $0x4f869021 // fmul v1.4s, v1.4s, v6.s[0]
	WORD   $0x4f869042 // fmul v2.4s, v2.4s, v6.s[0]
	WORD   $0x4f8593bd // fmul v29.4s, v29.4s, v5.s[0]
	WORD   $0x4f8593de // fmul v30.4s, v30.4s, v5.s[0]
	WORD   $0x4f8593ff // fmul v31.4s, v31.4s, v5.s[0]
	WORD   $0x4e20d7bd // fadd v29.4s, v29.4s, v0.4s
	WORD   $0x4e21d7de // fadd v30.4s, v30.4s, v1.4s
	WORD   $0x4e22d7ff // fadd v31.4s, v31.4s, v2.4s
	VST1   [V29.S4, V30.S4, V31.S4], (R3)
	RET
