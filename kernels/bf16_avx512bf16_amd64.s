//go:build !purego

// AVX512-BF16 SGEMM micro-kernel: a 12×32 tile of float32 sums of bfloat16
// products in registers.
//
// func bf16MicroAVX512BF16(kp2 int, a, b *uint16, bstride int, c *float32, ldc int, alpha, beta float32)
//
// a is a packed A panel: for each pair g < kp2 of depth steps, 12 rows × 2
// bfloat16 (48 bytes); b two packed B panels of 16 columns, the second
// bstride values after the first: for each g, 16 columns × 2 bfloat16 (64
// bytes, one ZMM register). VDPBF16PS multiplies a row's pair, broadcast to
// every lane, with each column's pair and adds both products to the
// column's float32 lane. For i < 12 and j < 32,
//
//	c[i*ldc+j] = alpha·acc[i][j] + beta·c[i*ldc+j]    (c not read when beta is ±0)
//
// with the product and the sum rounded separately (VMULPS, VADDPS).
//
// Go's assembler has no VDPBF16PS, so it is written as bytes, each line
// commented with the instruction in Go's operand order (src2, src1, dst);
// the encoding is EVEX.512.F3.0F38.W0 52 /r:
// 62 [R̄ X̄ B̄ R̄' 0010] [0 v̄v̄v̄v̄ 1 10] [0 10 0 V̄' 000] 52 [11 dst src2],
// with X̄ extending src2 and R̄' dst to 32 registers; asmscan_test.go
// re-derives every such line's bytes from its comment.
//
// Register plan:
//	CX       remaining pairs of depth steps
//	SI       a cursor (advances 48 bytes per pair)
//	DI, R8   b cursors for the two panels (advance 64 bytes per pair)
//	DX       c row pointer; BX ldc in bytes; AX beta's bits
//	Z0..Z23  accumulators: row i, columns 0..15 in Z(2i), 16..31 in Z(2i+1)
//	Z24,Z25  b pair g of panels 0 and 1
//	Z26,Z27  a row's pair broadcast, alternating
//	epilogue: Z28 alpha, Z29 beta, Z30, Z31 scratch
//
// Loop structure:
//	zero Z0..Z23
//	loop: for each pair: 2 loads of b, 12 broadcasts, 24 VDPBF16PS
//	epilogue: scale by alpha; if beta != 0 add beta·c; store twelve rows

#include "textflag.h"

// ramp16 is 0, 1, …, 15 as int32; interleave32 the words 0, 16, 1, 17, …, 15, 31.
DATA ramp16<>+0(SB)/4, $0
DATA ramp16<>+4(SB)/4, $1
DATA ramp16<>+8(SB)/4, $2
DATA ramp16<>+12(SB)/4, $3
DATA ramp16<>+16(SB)/4, $4
DATA ramp16<>+20(SB)/4, $5
DATA ramp16<>+24(SB)/4, $6
DATA ramp16<>+28(SB)/4, $7
DATA ramp16<>+32(SB)/4, $8
DATA ramp16<>+36(SB)/4, $9
DATA ramp16<>+40(SB)/4, $10
DATA ramp16<>+44(SB)/4, $11
DATA ramp16<>+48(SB)/4, $12
DATA ramp16<>+52(SB)/4, $13
DATA ramp16<>+56(SB)/4, $14
DATA ramp16<>+60(SB)/4, $15
GLOBL ramp16<>(SB), RODATA|NOPTR, $64
DATA interleave32<>+0(SB)/2, $0
DATA interleave32<>+2(SB)/2, $16
DATA interleave32<>+4(SB)/2, $1
DATA interleave32<>+6(SB)/2, $17
DATA interleave32<>+8(SB)/2, $2
DATA interleave32<>+10(SB)/2, $18
DATA interleave32<>+12(SB)/2, $3
DATA interleave32<>+14(SB)/2, $19
DATA interleave32<>+16(SB)/2, $4
DATA interleave32<>+18(SB)/2, $20
DATA interleave32<>+20(SB)/2, $5
DATA interleave32<>+22(SB)/2, $21
DATA interleave32<>+24(SB)/2, $6
DATA interleave32<>+26(SB)/2, $22
DATA interleave32<>+28(SB)/2, $7
DATA interleave32<>+30(SB)/2, $23
DATA interleave32<>+32(SB)/2, $8
DATA interleave32<>+34(SB)/2, $24
DATA interleave32<>+36(SB)/2, $9
DATA interleave32<>+38(SB)/2, $25
DATA interleave32<>+40(SB)/2, $10
DATA interleave32<>+42(SB)/2, $26
DATA interleave32<>+44(SB)/2, $11
DATA interleave32<>+46(SB)/2, $27
DATA interleave32<>+48(SB)/2, $12
DATA interleave32<>+50(SB)/2, $28
DATA interleave32<>+52(SB)/2, $13
DATA interleave32<>+54(SB)/2, $29
DATA interleave32<>+56(SB)/2, $14
DATA interleave32<>+58(SB)/2, $30
DATA interleave32<>+60(SB)/2, $15
DATA interleave32<>+62(SB)/2, $31
GLOBL interleave32<>(SB), RODATA|NOPTR, $64

// STORE0(lo, hi) writes alpha·acc for one row and moves DX on.
#define STORE0(lo, hi) \
	VMULPS  Z28, lo, lo \
	VMULPS  Z28, hi, hi \
	VMOVUPS lo, (DX)    \
	VMOVUPS hi, 64(DX)  \
	ADDQ    BX, DX

// STOREB(lo, hi) writes alpha·acc + beta·c for one row and moves DX on.
#define STOREB(lo, hi) \
	VMULPS  Z28, lo, lo      \
	VMULPS  Z28, hi, hi      \
	VMULPS  (DX), Z29, Z30   \
	VMULPS  64(DX), Z29, Z31 \
	VADDPS  Z30, lo, lo      \
	VADDPS  Z31, hi, hi      \
	VMOVUPS lo, (DX)         \
	VMOVUPS hi, 64(DX)       \
	ADDQ    BX, DX

TEXT ·bf16MicroAVX512BF16(SB), NOSPLIT, $0-56
	MOVQ kp2+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ bstride+24(FP), R8
	SHLQ $1, R8
	ADDQ DI, R8
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), BX
	SHLQ $2, BX

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	TESTQ CX, CX
	JZ    epilogue

loop:
	VMOVUPS (DI), Z24
	VMOVUPS (R8), Z25
	VPBROADCASTD 0(SI), Z26
	BYTE $0x62; BYTE $0x92; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xc0 // VDPBF16PS Z24, Z26, Z0 (EVEX)
	BYTE $0x62; BYTE $0x92; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xc9 // VDPBF16PS Z25, Z26, Z1 (EVEX)
	VPBROADCASTD 4(SI), Z27
	BYTE $0x62; BYTE $0x92; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xd0 // VDPBF16PS Z24, Z27, Z2 (EVEX)
	BYTE $0x62; BYTE $0x92; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xd9 // VDPBF16PS Z25, Z27, Z3 (EVEX)
	VPBROADCASTD 8(SI), Z26
	BYTE $0x62; BYTE $0x92; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xe0 // VDPBF16PS Z24, Z26, Z4 (EVEX)
	BYTE $0x62; BYTE $0x92; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xe9 // VDPBF16PS Z25, Z26, Z5 (EVEX)
	VPBROADCASTD 12(SI), Z27
	BYTE $0x62; BYTE $0x92; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xf0 // VDPBF16PS Z24, Z27, Z6 (EVEX)
	BYTE $0x62; BYTE $0x92; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xf9 // VDPBF16PS Z25, Z27, Z7 (EVEX)
	VPBROADCASTD 16(SI), Z26
	BYTE $0x62; BYTE $0x12; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xc0 // VDPBF16PS Z24, Z26, Z8 (EVEX)
	BYTE $0x62; BYTE $0x12; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xc9 // VDPBF16PS Z25, Z26, Z9 (EVEX)
	VPBROADCASTD 20(SI), Z27
	BYTE $0x62; BYTE $0x12; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xd0 // VDPBF16PS Z24, Z27, Z10 (EVEX)
	BYTE $0x62; BYTE $0x12; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xd9 // VDPBF16PS Z25, Z27, Z11 (EVEX)
	VPBROADCASTD 24(SI), Z26
	BYTE $0x62; BYTE $0x12; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xe0 // VDPBF16PS Z24, Z26, Z12 (EVEX)
	BYTE $0x62; BYTE $0x12; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xe9 // VDPBF16PS Z25, Z26, Z13 (EVEX)
	VPBROADCASTD 28(SI), Z27
	BYTE $0x62; BYTE $0x12; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xf0 // VDPBF16PS Z24, Z27, Z14 (EVEX)
	BYTE $0x62; BYTE $0x12; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xf9 // VDPBF16PS Z25, Z27, Z15 (EVEX)
	VPBROADCASTD 32(SI), Z26
	BYTE $0x62; BYTE $0x82; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xc0 // VDPBF16PS Z24, Z26, Z16 (EVEX)
	BYTE $0x62; BYTE $0x82; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xc9 // VDPBF16PS Z25, Z26, Z17 (EVEX)
	VPBROADCASTD 36(SI), Z27
	BYTE $0x62; BYTE $0x82; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xd0 // VDPBF16PS Z24, Z27, Z18 (EVEX)
	BYTE $0x62; BYTE $0x82; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xd9 // VDPBF16PS Z25, Z27, Z19 (EVEX)
	VPBROADCASTD 40(SI), Z26
	BYTE $0x62; BYTE $0x82; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xe0 // VDPBF16PS Z24, Z26, Z20 (EVEX)
	BYTE $0x62; BYTE $0x82; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xe9 // VDPBF16PS Z25, Z26, Z21 (EVEX)
	VPBROADCASTD 44(SI), Z27
	BYTE $0x62; BYTE $0x82; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xf0 // VDPBF16PS Z24, Z27, Z22 (EVEX)
	BYTE $0x62; BYTE $0x82; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xf9 // VDPBF16PS Z25, Z27, Z23 (EVEX)
	ADDQ $48, SI
	ADDQ $64, DI
	ADDQ $64, R8
	DECQ CX
	JNZ  loop

epilogue:
	VBROADCASTSS alpha+48(FP), Z28
	MOVL         beta+52(FP), AX
	SHLL         $1, AX             // drop the sign: -0 counts as 0
	TESTL        AX, AX
	JNZ          withbeta
	STORE0(Z0, Z1)
	STORE0(Z2, Z3)
	STORE0(Z4, Z5)
	STORE0(Z6, Z7)
	STORE0(Z8, Z9)
	STORE0(Z10, Z11)
	STORE0(Z12, Z13)
	STORE0(Z14, Z15)
	STORE0(Z16, Z17)
	STORE0(Z18, Z19)
	STORE0(Z20, Z21)
	STORE0(Z22, Z23)
	VZEROUPPER
	RET

withbeta:
	VBROADCASTSS beta+52(FP), Z29
	STOREB(Z0, Z1)
	STOREB(Z2, Z3)
	STOREB(Z4, Z5)
	STOREB(Z6, Z7)
	STOREB(Z8, Z9)
	STOREB(Z10, Z11)
	STOREB(Z12, Z13)
	STOREB(Z14, Z15)
	STOREB(Z16, Z17)
	STOREB(Z18, Z19)
	STOREB(Z20, Z21)
	STOREB(Z22, Z23)
	VZEROUPPER
	RET

// func bf16PairsAVX512BF16(src *float32, n32 int, dst *uint16, stride int)
//
//	Rounds n32 floats (a positive multiple of 32) to bfloat16 and stores
//	them in pairs, each pair's 4 bytes stride bytes after the previous:
//	dst[(p/2)·stride/2 + p%2] = ToBF16(src[p]) — a row of A or of op(B)
//	whose depth steps are contiguous, into its packed panel.
//	Register plan: SI src, CX floats left, DI dst, R8 stride; Z0, Z1 32
//	floats; Z2 their 32 bfloat16 (VCVTNE2PS2BF16: the low half from its
//	first operand); Z3 the byte offsets 0, stride, …, 15·stride; K1 all
//	lanes (VPSCATTERDD clears it, so it is set every time).
//	Loop structure: loop32 (two loads, one conversion, one scatter of 16
//	pairs, DI += 16·stride).
TEXT ·bf16PairsAVX512BF16(SB), NOSPLIT, $0-32
	MOVQ         src+0(FP), SI
	MOVQ         n32+8(FP), CX
	MOVQ         dst+16(FP), DI
	MOVQ         stride+24(FP), R8
	MOVQ         $ramp16<>(SB), AX
	VMOVDQU32    (AX), Z3
	VPBROADCASTD R8, Z4
	VPMULLD      Z4, Z3, Z3
	SHLQ         $4, R8

pairs_loop32:
	VMOVUPS     (SI), Z0
	VMOVUPS     64(SI), Z1
	BYTE $0x62; BYTE $0xf2; BYTE $0x77; BYTE $0x48; BYTE $0x72; BYTE $0xd0 // VCVTNE2PS2BF16 Z0, Z1, Z2 (EVEX)
	KXNORW      K1, K1, K1
	VPSCATTERDD Z2, K1, (DI)(Z3*1)
	ADDQ        $128, SI
	ADDQ        R8, DI
	SUBQ        $32, CX
	JNZ         pairs_loop32
	VZEROUPPER
	RET

// func bf16InterleaveAVX512BF16(r0, r1 *float32, n16 int, dst *uint16, stride int)
//
//	Rounds 16 floats of each of two rows to bfloat16 and interleaves them
//	into 16 pairs (64 bytes), for each of n16/16 blocks of 16 columns,
//	block q at dst + q·stride bytes: dst[q·stride/2 + 2j + t] =
//	ToBF16(r_t[16q + j]) — two depth steps of a matrix whose columns are
//	contiguous (op(B) untransposed, or op(A) transposed), into its panel.
//	Register plan: SI r0, R9 r1, CX floats left per row, DI dst, R8
//	stride; Z0 16 floats of r0, Z1 of r1; Z2 their bfloat16 (r0's low);
//	Z4 the word permutation 0, 16, 1, 17, …, 15, 31; Z5 the pairs.
//	Loop structure: loop16 (two loads, one conversion, one permutation,
//	one 64-byte store).
TEXT ·bf16InterleaveAVX512BF16(SB), NOSPLIT, $0-40
	MOVQ      r0+0(FP), SI
	MOVQ      r1+8(FP), R9
	MOVQ      n16+16(FP), CX
	MOVQ      dst+24(FP), DI
	MOVQ      stride+32(FP), R8
	MOVQ      $interleave32<>(SB), AX
	VMOVDQU32 (AX), Z4

inter_loop16:
	VMOVUPS   (SI), Z0
	VMOVUPS   (R9), Z1
	BYTE $0x62; BYTE $0xf2; BYTE $0x77; BYTE $0x48; BYTE $0x72; BYTE $0xd0 // VCVTNE2PS2BF16 Z0, Z1, Z2 (EVEX)
	VPERMW    Z2, Z4, Z5
	VMOVDQU32 Z5, (DI)
	ADDQ      $64, SI
	ADDQ      $64, R9
	ADDQ      R8, DI
	SUBQ      $16, CX
	JNZ       inter_loop16
	VZEROUPPER
	RET
