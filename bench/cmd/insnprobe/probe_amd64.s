//go:build amd64

// Throughput probes: each function runs n iterations of independent
// 512-bit multiply-add instructions (12 accumulators, 24 for VDPBF16PS,
// more than any of them has cycles of latency), so the time per
// instruction is the reciprocal of its throughput. VDPBF16PS has no Go
// mnemonic and is written as bytes (EVEX.512.F3.0F38.W0 52 /r, Z31 and Z30
// into Z0..Z23), as kernels/bf16_avx512bf16_amd64.s writes it.
//
// Register plan: CX iterations left; Z30, Z31 the sources; Z0..Z23 the
// accumulators. Loop structure: one block of independent instructions per
// iteration, DECQ, JNZ.

#include "textflag.h"
TEXT ·probeBF16(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop:
	BYTE $0x62; BYTE $0x92; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xc6
	BYTE $0x62; BYTE $0x92; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xce
	BYTE $0x62; BYTE $0x92; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xd6
	BYTE $0x62; BYTE $0x92; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xde
	BYTE $0x62; BYTE $0x92; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xe6
	BYTE $0x62; BYTE $0x92; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xee
	BYTE $0x62; BYTE $0x92; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xf6
	BYTE $0x62; BYTE $0x92; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xfe
	BYTE $0x62; BYTE $0x12; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xc6
	BYTE $0x62; BYTE $0x12; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xce
	BYTE $0x62; BYTE $0x12; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xd6
	BYTE $0x62; BYTE $0x12; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xde
	BYTE $0x62; BYTE $0x12; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xe6
	BYTE $0x62; BYTE $0x12; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xee
	BYTE $0x62; BYTE $0x12; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xf6
	BYTE $0x62; BYTE $0x12; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xfe
	BYTE $0x62; BYTE $0x82; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xc6
	BYTE $0x62; BYTE $0x82; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xce
	BYTE $0x62; BYTE $0x82; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xd6
	BYTE $0x62; BYTE $0x82; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xde
	BYTE $0x62; BYTE $0x82; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xe6
	BYTE $0x62; BYTE $0x82; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xee
	BYTE $0x62; BYTE $0x82; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xf6
	BYTE $0x62; BYTE $0x82; BYTE $0x06; BYTE $0x40; BYTE $0x52; BYTE $0xfe
	DECQ CX
	JNZ loop
	VZEROUPPER
	RET

TEXT ·probeFMA(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop2:
	VFMADD231PS Z30, Z31, Z0
	VFMADD231PS Z30, Z31, Z1
	VFMADD231PS Z30, Z31, Z2
	VFMADD231PS Z30, Z31, Z3
	VFMADD231PS Z30, Z31, Z4
	VFMADD231PS Z30, Z31, Z5
	VFMADD231PS Z30, Z31, Z6
	VFMADD231PS Z30, Z31, Z7
	VFMADD231PS Z30, Z31, Z8
	VFMADD231PS Z30, Z31, Z9
	VFMADD231PS Z30, Z31, Z10
	VFMADD231PS Z30, Z31, Z11
	DECQ CX
	JNZ loop2
	VZEROUPPER
	RET

TEXT ·probeVNNI(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop3:
	VPDPBUSD Z30, Z31, Z0
	VPDPBUSD Z30, Z31, Z1
	VPDPBUSD Z30, Z31, Z2
	VPDPBUSD Z30, Z31, Z3
	VPDPBUSD Z30, Z31, Z4
	VPDPBUSD Z30, Z31, Z5
	VPDPBUSD Z30, Z31, Z6
	VPDPBUSD Z30, Z31, Z7
	VPDPBUSD Z30, Z31, Z8
	VPDPBUSD Z30, Z31, Z9
	VPDPBUSD Z30, Z31, Z10
	VPDPBUSD Z30, Z31, Z11
	DECQ CX
	JNZ loop3
	VZEROUPPER
	RET

// AMX probes: the tiles configured as the kernels' (16 rows of 64 bytes),
// all eight zeroed, then per iteration four independent tile products
// into TMM0..TMM3 from TMM4..TMM7 (Intel order: dst, a, b), which is the
// kernels' inner loop without its loads. Bytes as in
// kernels/bf16_amxbf16_amd64.s; AMXSETUP is LDTILECFG (AX) and TILEZERO
// TMM0..TMM7. Register plan: AX the configuration, CX iterations left.
DATA amxConfig<>+0(SB)/8, $1
DATA amxConfig<>+8(SB)/8, $0
DATA amxConfig<>+16(SB)/8, $0x0040004000400040
DATA amxConfig<>+24(SB)/8, $0x0040004000400040
DATA amxConfig<>+32(SB)/8, $0
DATA amxConfig<>+40(SB)/8, $0
DATA amxConfig<>+48(SB)/8, $0x1010101010101010
DATA amxConfig<>+56(SB)/8, $0
GLOBL amxConfig<>(SB), RODATA|NOPTR, $64

#define AMXSETUP \
	LEAQ amxConfig<>(SB), AX \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00 \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8 \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0 \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd8 \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xe0 \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xe8 \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xf0 \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xf8 \
	MOVQ n+0(FP), CX

TEXT ·probeAMXBF16(SB), NOSPLIT, $0-8
	AMXSETUP
loop4:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4 // TDPBF16PS TMM0, TMM4, TMM6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc // TDPBF16PS TMM1, TMM4, TMM7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xd5 // TDPBF16PS TMM2, TMM5, TMM6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xdd // TDPBF16PS TMM3, TMM5, TMM7
	DECQ CX
	JNZ  loop4
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0 // TILERELEASE
	RET

TEXT ·probeAMXINT8(SB), NOSPLIT, $0-8
	AMXSETUP
loop5:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x49; BYTE $0x5e; BYTE $0xc4 // TDPBUSD TMM0, TMM4, TMM6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x41; BYTE $0x5e; BYTE $0xcc // TDPBUSD TMM1, TMM4, TMM7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x49; BYTE $0x5e; BYTE $0xd5 // TDPBUSD TMM2, TMM5, TMM6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x41; BYTE $0x5e; BYTE $0xdd // TDPBUSD TMM3, TMM5, TMM7
	DECQ CX
	JNZ  loop5
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0 // TILERELEASE
	RET
