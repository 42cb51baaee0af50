// Package kernels holds rrra's float32 numerical primitives on raw,
// row-major slices: SGEMM for all four transpose cases, Dot, Axpy, Scale and
// a batched scoring kernel for exact inner-product search.
//
// Each primitive has several implementations ("tiers"): hand-written Go
// assembly for CPUs with AVX2 and FMA ("avx2") or AVX-512F ("avx512"), and a
// pure-Go path ("generic") that is correct on every GOARCH. The best tier the
// CPU supports is chosen once, at package initialisation, from the features
// reported by github.com/klauspost/cpuid/v2. The environment variable
// RRRA_KERNELS forces a tier by name; tests switch tiers in-process with Use.
//
// The avx512 tier is opt-in: its tests pass on AVX-512 hardware (AMD Zen 4),
// where it measured no faster than avx2, so it is not chosen automatically.
// Set RRRA_KERNELS=avx512 to use it.
//
// Building with the "purego" tag compiles every assembly file out and leaves
// only the generic tier.
//
// Sgemm splits its work across goroutines (see SetThreads). Every element of
// C is computed by the same sequence of floating-point operations whatever the
// thread count, so results are bit-for-bit reproducible across thread counts
// on one tier.
package kernels
