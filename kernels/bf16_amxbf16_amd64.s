//go:build !purego

// AMX bfloat16 SGEMM micro-kernel: a 32×32 tile of float32 sums of
// bfloat16 products in four AMX tile registers, and the packing kernel of
// its A panels.
//
// func bf16MicroAMXBF16(kp2 int, a, b *uint16, bstride int, c *float32, ldc int, alpha, beta float32)
//
// kp2 is the number of pairs of depth steps, a multiple of 16 (the depth
// is padded to a multiple of 32 with zeros). a is a packed A panel of 32
// rows in steps of 32 depth values: step s holds rows 0..31, each 32
// bfloat16 (64 bytes), 2,048 bytes per step, so rows 0..15 of a step are
// one tile of 16 rows × 64 bytes and rows 16..31 the next. b is two packed
// B panels of 16 columns, the second bstride values after the first, each
// pair g of depth steps 16 columns × 2 bfloat16 (64 bytes): 16 pairs, one
// step, are one tile of 16 rows × 64 bytes, in the layout (pairs of depth
// steps interleaved per column) TDPBF16PS takes its second operand in.
// TDPBF16PS C, A, B adds to each float32 C[i][j] the products
// A[i][2g]·B[g][2j] + A[i][2g+1]·B[g][2j+1] over the tile's 16 pairs g.
// For i < 32 and j < 32,
//
//	c[i*ldc+j] = alpha·acc[i][j] + beta·c[i*ldc+j]    (c not read when beta is ±0)
//
// with the product and the sum rounded separately (VMULPS, VADDPS).
//
// Go's assembler knows no AMX instruction, so each is written as bytes
// with a comment naming it in Intel's operand order (destination first;
// TDPBF16PS dst, a, b) followed by "(AMX)"; asmscan_test.go re-derives
// every such line's bytes from its comment. The encodings are VEX.128
// 0F38.W0: C4 [R̄ X̄ B̄ 00010] [W v̄v̄v̄v̄ L pp] op ModRM [SIB], with
// LDTILECFG and TILERELEASE NP 49, TILEZERO F2 49, TILELOADD F2 4B,
// TILESTORED F3 4B and TDPBF16PS F3 5C (dst in ModRM.reg, a in ModRM.rm,
// b in vvvv). Every base and index register is one of AX…DI, so no
// R̄ X̄ B̄ bit is needed.
//
// Linux hands out the tile registers only to a process that asked
// (arch_prctl ARCH_REQ_XCOMP_PERM: amx_linux_amd64.go); the tier is not
// supported otherwise. The tile state is configured at entry and released
// before return: Go's scheduler does not preempt assembly, so a goroutine
// stays on its thread in between, and a signal's handler gets the state
// saved by the kernel on its stack (Go's signal stacks hold 32 KiB, the
// tile state 8 KiB).
//
// Register plan:
//	AX, CX   A tiles: rows 0..15 and 16..31 of the step (advance 2,048 bytes)
//	BX, DX   B tiles of panels 0 and 1 (advance 1,024 bytes)
//	SI       64, the tiles' row stride in bytes
//	DI       remaining steps
//	TMM0..3  accumulators: C rows 0..15 × columns 0..15, 0..15 × 16..31,
//	         16..31 × 0..15, 16..31 × 16..31
//	TMM4,5   A tiles; TMM6,7 B tiles
//	epilogue: the accumulators stored to the 4 KiB frame (32 rows of 128
//	bytes), then Z28 alpha, Z29 beta, Z0..Z3 per row
//
// Loop structure:
//	load the tile configuration; zero TMM0..TMM3
//	loop: per step of 32 depth values: 4 tile loads, 4 TDPBF16PS
//	store the accumulators to the frame; release the tiles
//	epilogue: per row, scale by alpha; if beta != 0 add beta·c; store

#include "textflag.h"

// amxConfig is the tile configuration: palette 1, tiles 0..7 each 16 rows
// of 64 bytes (bytes 16..31: bytes per row of each tile as uint16; bytes
// 48..55: rows of each tile).
DATA amxConfig<>+0(SB)/8, $1
DATA amxConfig<>+8(SB)/8, $0
DATA amxConfig<>+16(SB)/8, $0x0040004000400040
DATA amxConfig<>+24(SB)/8, $0x0040004000400040
DATA amxConfig<>+32(SB)/8, $0
DATA amxConfig<>+40(SB)/8, $0
DATA amxConfig<>+48(SB)/8, $0x1010101010101010
DATA amxConfig<>+56(SB)/8, $0
GLOBL amxConfig<>(SB), RODATA|NOPTR, $64

// func bf16MicroAMXBF16(kp2 int, a, b *uint16, bstride int, c *float32, ldc int, alpha, beta float32)
TEXT ·bf16MicroAMXBF16(SB), 0, $4096-56
	LEAQ amxConfig<>(SB), AX
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00 // LDTILECFG (AX) (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 // TILEZERO TMM0 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8 // TILEZERO TMM1 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0 // TILEZERO TMM2 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd8 // TILEZERO TMM3 (AMX)
	MOVQ a+8(FP), AX
	LEAQ 1024(AX), CX
	MOVQ b+16(FP), BX
	MOVQ bstride+24(FP), DX
	LEAQ (BX)(DX*2), DX
	MOVQ $64, SI
	MOVQ kp2+0(FP), DI
	SHRQ $4, DI
	TESTQ DI, DI
	JZ   store

loop:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x30 // TILELOADD TMM4, (AX)(SI*1) (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x31 // TILELOADD TMM5, (CX)(SI*1) (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x33 // TILELOADD TMM6, (BX)(SI*1) (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x3c; BYTE $0x32 // TILELOADD TMM7, (DX)(SI*1) (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4             // TDPBF16PS TMM0, TMM4, TMM6 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc             // TDPBF16PS TMM1, TMM4, TMM7 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xd5             // TDPBF16PS TMM2, TMM5, TMM6 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xdd             // TDPBF16PS TMM3, TMM5, TMM7 (AMX)
	ADDQ $2048, AX
	ADDQ $2048, CX
	ADDQ $1024, BX
	ADDQ $1024, DX
	DECQ DI
	JNZ  loop

store:
	// The accumulators to the frame: 32 rows of 32 float32, 128 bytes
	// apart.
	MOVQ SP, AX
	LEAQ 64(SP), BX
	LEAQ 2048(SP), CX
	LEAQ 2112(SP), DX
	MOVQ $128, DI
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x38 // TILESTORED (AX)(DI*1), TMM0 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7a; BYTE $0x4b; BYTE $0x0c; BYTE $0x3b // TILESTORED (BX)(DI*1), TMM1 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7a; BYTE $0x4b; BYTE $0x14; BYTE $0x39 // TILESTORED (CX)(DI*1), TMM2 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7a; BYTE $0x4b; BYTE $0x1c; BYTE $0x3a // TILESTORED (DX)(DI*1), TMM3 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0             // TILERELEASE (AMX)

	MOVQ         c+32(FP), DX
	MOVQ         ldc+40(FP), BX
	SHLQ         $2, BX
	VBROADCASTSS alpha+48(FP), Z28
	VBROADCASTSS beta+52(FP), Z29
	MOVQ         SP, SI
	MOVQ         $32, CX
	MOVL         beta+52(FP), AX
	SHLL         $1, AX // the sign bit out: ±0 read as 0
	TESTL        AX, AX
	JNZ          withbeta

rows:
	VMULPS  (SI), Z28, Z0
	VMULPS  64(SI), Z28, Z1
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ    $128, SI
	ADDQ    BX, DX
	DECQ    CX
	JNZ     rows
	VZEROUPPER
	RET

withbeta:
	VMULPS  (SI), Z28, Z0
	VMULPS  64(SI), Z28, Z1
	VMULPS  (DX), Z29, Z2
	VMULPS  64(DX), Z29, Z3
	VADDPS  Z2, Z0, Z0
	VADDPS  Z3, Z1, Z1
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ    $128, SI
	ADDQ    BX, DX
	DECQ    CX
	JNZ     withbeta
	VZEROUPPER
	RET

// func bf16ChunksAMXBF16(src *float32, n32 int, dst *uint16, stride int)
//
// Rounds src[0:n32] (n32 a multiple of 32) to bfloat16 to nearest even in
// chunks of 32 values, chunk q at dst + q·stride bytes (an A panel's row).
//
// Register plan: SI src, CX remaining chunks, DI dst, DX stride in bytes;
// Z0, Z1 the chunk's two halves, Z2 the 32 bfloat16.
// Loop structure: per chunk, two loads, one VCVTNE2PS2BF16, one store.
TEXT ·bf16ChunksAMXBF16(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ n32+8(FP), CX
	SHRQ $5, CX
	MOVQ dst+16(FP), DI
	MOVQ stride+24(FP), DX
	TESTQ CX, CX
	JZ   done

chunk:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	// Z2 = bfloat16 of Z0 in the low half, of Z1 in the high half.
	BYTE    $0x62; BYTE $0xf2; BYTE $0x77; BYTE $0x48; BYTE $0x72; BYTE $0xd0 // VCVTNE2PS2BF16 Z0, Z1, Z2 (EVEX)
	VMOVUPS Z2, (DI)
	ADDQ    $128, SI
	ADDQ    DX, DI
	DECQ    CX
	JNZ     chunk

done:
	VZEROUPPER
	RET
