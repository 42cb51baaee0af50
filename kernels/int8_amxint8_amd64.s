//go:build !purego

// AMX-INT8 integer micro-kernel: a 32×32 tile of u8×s8 sums in four AMX
// tile registers.
//
// func int8MicroAMXINT8(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int,
//	za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)
//
// kg is the number of depth groups of 4, a multiple of 16 (the tier runs
// only where the weights' padded depth is a multiple of 64). a is a packed
// A panel of 32 rows in steps of 64 depth bytes: step s holds rows 0..31,
// 64 unsigned bytes each (2,048 bytes per step), so rows 0..15 of a step
// are one tile of 16 rows × 64 bytes and rows 16..31 the next. b is two
// packed B panels of 16 columns, the second bstride bytes after the first:
// per depth group 16 columns × 4 signed bytes (64 bytes), so the 16 groups
// of a step are one tile of 16 rows × 64 bytes in the layout TDPBUSD
// takes. TDPBUSD C, A, B adds to each int32 C[i][j] the products
// A[i][4g+q]·B[g][4j+q] over the tile's 16 groups g and q < 4, exactly
// (int32 sums of u8×s8 products, no saturation: as VPDPBUSD). For i < 32
// and j < 32,
//
//	acc[i][j] = Σ_s Σ_g Σ_q a[s·2048 + i·64 + 4g + q] · b[(j/16)·bstride + s·1024 + g·64 + (j%16)·4 + q]
//
// With sa nil the sums are stored as int32 at c (row stride ldc elements).
// Otherwise each is dequantized as the Go epilogue does (int8.go):
//
//	c[i][j] = float32(float32(acc − za[i]·colSum[j]) · float32(sa[i]·sw[j])) + bias[j]
//
// with VPMULLD/VPSUBD (exact int32), VCVTDQ2PS (round to nearest even, as
// Go's conversion), and separate VMULPS, VMULPS, VADDPS (no FMA), so every
// result equals the generic tier's bit for bit.
//
// The AMX instructions are bytes whose comments name them in Intel's
// operand order followed by "(AMX)", re-derived by asmscan_test.go (see
// bf16_amxbf16_amd64.s for the encodings and for why the tile state may
// be used across a Go assembly function); TDPBUSD is VEX.128.66.0F38.W0
// 5E.
//
// Register plan:
//	AX, CX   A tiles: rows 0..15 and 16..31 of the step (advance 2,048 bytes)
//	BX, DX   B tiles of panels 0 and 1 (advance 1,024 bytes)
//	SI       64, the tiles' row stride in bytes
//	DI       remaining steps
//	TMM0..3  accumulators: C rows 0..15 × columns 0..15, 0..15 × 16..31,
//	         16..31 × 0..15, 16..31 × 16..31
//	TMM4,5   A tiles; TMM6,7 B tiles
//	epilogue: the sums stored to the 4 KiB frame (32 rows of 128 bytes);
//	SI frame row, DX c row, BX ldc in bytes, CX rows left, R9, R10 za
//	and sa cursors; Z24,Z25 colSum, Z26,Z27 sw, Z28,Z29 bias, Z0,Z1 the
//	row, Z30,Z31 scratch
//
// Loop structure:
//	load the tile configuration; zero TMM0..TMM3
//	loop: per step of 64 depth bytes: 4 tile loads, 4 TDPBUSD
//	store the sums to the frame; release the tiles
//	epilogue: per row, store the int32 sums, or dequantize and store

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

TEXT ·int8MicroAMXINT8(SB), 0, $4096-88
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
	ADDQ BX, DX
	MOVQ $64, SI
	MOVQ kg+0(FP), DI
	SHRQ $4, DI
	TESTQ DI, DI
	JZ   store

loop:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x30 // TILELOADD TMM4, (AX)(SI*1) (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x31 // TILELOADD TMM5, (CX)(SI*1) (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x33 // TILELOADD TMM6, (BX)(SI*1) (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x3c; BYTE $0x32 // TILELOADD TMM7, (DX)(SI*1) (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x49; BYTE $0x5e; BYTE $0xc4             // TDPBUSD TMM0, TMM4, TMM6 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x41; BYTE $0x5e; BYTE $0xcc             // TDPBUSD TMM1, TMM4, TMM7 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x49; BYTE $0x5e; BYTE $0xd5             // TDPBUSD TMM2, TMM5, TMM6 (AMX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x41; BYTE $0x5e; BYTE $0xdd             // TDPBUSD TMM3, TMM5, TMM7 (AMX)
	ADDQ $2048, AX
	ADDQ $2048, CX
	ADDQ $1024, BX
	ADDQ $1024, DX
	DECQ DI
	JNZ  loop

store:
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

	MOVQ  c+32(FP), DX
	MOVQ  ldc+40(FP), BX
	SHLQ  $2, BX
	MOVQ  SP, SI
	MOVQ  $32, CX
	MOVQ  sa+56(FP), R10
	TESTQ R10, R10
	JNZ   dequantize

rawrows:
	VMOVDQU32 (SI), Z0
	VMOVDQU32 64(SI), Z1
	VMOVDQU32 Z0, (DX)
	VMOVDQU32 Z1, 64(DX)
	ADDQ      $128, SI
	ADDQ      BX, DX
	DECQ      CX
	JNZ       rawrows
	VZEROUPPER
	RET

dequantize:
	MOVQ      za+48(FP), R9
	MOVQ      colSum+64(FP), R11
	MOVQ      sw+72(FP), R12
	MOVQ      bias+80(FP), R13
	VMOVDQU32 (R11), Z24
	VMOVDQU32 64(R11), Z25
	VMOVUPS   (R12), Z26
	VMOVUPS   64(R12), Z27
	VMOVUPS   (R13), Z28
	VMOVUPS   64(R13), Z29

deqrows:
	VMOVDQU32    (SI), Z0
	VMOVDQU32    64(SI), Z1
	VPBROADCASTD (R9), Z30
	VPMULLD      Z24, Z30, Z31
	VPSUBD       Z31, Z0, Z0
	VPMULLD      Z25, Z30, Z31
	VPSUBD       Z31, Z1, Z1
	VCVTDQ2PS    Z0, Z0
	VCVTDQ2PS    Z1, Z1
	VBROADCASTSS (R10), Z30
	VMULPS       Z26, Z30, Z31
	VMULPS       Z31, Z0, Z0
	VMULPS       Z27, Z30, Z31
	VMULPS       Z31, Z1, Z1
	VADDPS       Z28, Z0, Z0
	VADDPS       Z29, Z1, Z1
	VMOVUPS      Z0, (DX)
	VMOVUPS      Z1, 64(DX)
	ADDQ         $128, SI
	ADDQ         BX, DX
	ADDQ         $4, R9
	ADDQ         $4, R10
	DECQ         CX
	JNZ          deqrows
	VZEROUPPER
	RET
