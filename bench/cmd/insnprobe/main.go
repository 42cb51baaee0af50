//go:build amd64

// Command insnprobe measures the throughput of the 512-bit multiply-add
// instructions the kernels' tiers are built on: VFMADD231PS (float32 FMA,
// the avx512 SGEMM), VPDPBUSD (AVX512-VNNI, the avx512vnni int8 products),
// VDPBF16PS (AVX512-BF16, SgemmBF16's avx512bf16 tier) and, where the
// kernels' AMX tiers run, the AMX tile products TDPBUSD (amxint8) and
// TDPBF16PS (amxbf16), four independent ones per iteration. It prints nanoseconds per
// instruction and multiply-adds per nanosecond for each, three rounds, so
// the peak of each tier can be stated from a measurement rather than a
// datasheet:
//
//	go run ./bench/cmd/insnprobe
//
// It must run on a CPU with AVX512F, AVX512-VNNI and AVX512-BF16 (rrra
// info lists them); elsewhere it exits with an error.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/rrra/rrra/kernels"
)

func probeBF16(n int)
func probeFMA(n int)
func probeVNNI(n int)
func probeAMXBF16(n int)
func probeAMXINT8(n int)

func main() {
	if !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VNNI, cpuid.AVX512BF16) {
		fmt.Fprintln(os.Stderr, "insnprobe: this CPU lacks AVX512F, AVX512-VNNI or AVX512-BF16")
		os.Exit(1)
	}
	const n = 50_000_000
	type probe struct {
		name  string
		fn    func(int)
		iters int // iterations run
		count int // instructions per iteration
		macs  int // multiply-adds per instruction
	}
	probes := []probe{
		{"VFMADD231PS zmm (float32)", probeFMA, n, 12, 16},
		{"VPDPBUSD zmm (u8×s8)", probeVNNI, n, 12, 64},
		{"VDPBF16PS zmm (bfloat16)", probeBF16, n, 24, 32},
	}
	// The AMX probes run only where Linux granted the tile state, which
	// package kernels asks for when it finds AMX (its AMX tiers are then
	// supported): 16×16 outputs of 32 (bfloat16) or 64 (int8) products
	// per instruction.
	if ok, _ := kernels.BF16Supported("amxbf16"); ok {
		probes = append(probes, probe{"TDPBF16PS tile (bfloat16)", probeAMXBF16, n / 16, 4, 16 * 16 * 32})
	}
	if ok, _ := kernels.Int8Supported("amxint8"); ok {
		probes = append(probes, probe{"TDPBUSD tile (u8×s8)", probeAMXINT8, n / 16, 4, 16 * 16 * 64})
	}
	for r := 1; r <= 3; r++ {
		for _, p := range probes {
			t := time.Now()
			p.fn(p.iters)
			ns := float64(time.Since(t).Nanoseconds()) / float64(p.count*p.iters)
			fmt.Printf("round %d  %-27s %.3f ns/instruction  %6.1f multiply-adds/ns\n", r, p.name, ns, float64(p.macs)/ns)
		}
	}
}
