// Package kernels holds rrra's float32 numerical primitives on raw,
// row-major slices: SGEMM for all four transpose cases (single, batched and
// two-level batched), Dot, Axpy, Scale, row kernels for GELU, softmax and
// LayerNorm with their backward passes, and a batched scoring kernel for
// exact inner-product search.
//
// Each primitive has several implementations ("tiers"): hand-written Go
// assembly for CPUs with AVX2 and FMA ("avx2") or AVX-512F ("avx512"), and a
// pure-Go path ("generic") that is correct on every GOARCH. A tier is chosen
// once, at package initialisation, from the features reported by
// github.com/klauspost/cpuid/v2: avx512 on Intel CPUs with AVX-512F (and
// AVX2 and FMA3), avx2 on any other CPU with AVX2 and FMA3 — AMD's
// included, even with AVX-512, since on Zen 4 the avx512 tier passes its
// tests but measured no faster than avx2 — and generic everywhere else.
// Selected names the choice. The environment variable RRRA_KERNELS forces
// a tier by name (an unknown or unsupported one is reported on stderr and
// the default kept), so RRRA_KERNELS=avx512 opts in on AMD and
// RRRA_KERNELS=avx2 opts out on Intel; tests switch tiers in-process with
// Use.
//
// The tiers' sums round differently, so results are reproducible bit for
// bit only on one tier.
//
// Int8 inference has tiers of its own, chosen the same way but separately
// (SelectedInt8, RRRA_KERNELS_INT8, UseInt8): amxint8 (TDPBUSD on AMX
// tiles, for weights whose depth is a whole number of 64-byte steps; the
// others go to the next tier), avx512vnni (VPDPBUSD on ZMM),
// avxvnni (the VEX VPDPBUSD on YMM, for CPUs with AVX-VNNI and no
// AVX-512), avx2 (VPMADDUBSW and VPMADDWD) and generic. Their products are
// integer sums, exact, and their epilogue is written to round identically,
// so Int8Linear and GemmU8S8 give the same results bit for bit on every
// integer tier and thread count: a model quantized on one machine embeds
// text identically on any other. int8.go describes the quantization scheme
// and why weights take 7 bits. SgemmBF16 multiplies float32 matrices with
// their operands rounded to bfloat16 and float32 sums, on tiers of its own
// (SelectedBF16, RRRA_KERNELS_BF16, UseBF16): amxbf16 (TDPBF16PS on AMX
// tiles), avx512bf16 (VDPBF16PS) and generic. The AMX tiers run on Linux,
// which grants the tile state to a process that asks (amx_linux_amd64.go).
//
// Building with the "purego" tag compiles every assembly file out and leaves
// only the generic tier.
//
// Sgemm splits its work across goroutines (see SetThreads). Every element of
// C is computed by the same sequence of floating-point operations whatever the
// thread count, so results are bit-for-bit reproducible across thread counts
// on one tier.
package kernels

//go:generate go run gen_armwords.go
