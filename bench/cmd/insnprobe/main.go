//go:build amd64

// Command insnprobe measures the throughput of the 512-bit multiply-add
// instructions the kernels' tiers are built on: VFMADD231PS (float32 FMA,
// the avx512 SGEMM), VPDPBUSD (AVX512-VNNI, the avx512vnni int8 products)
// and VDPBF16PS (AVX512-BF16, SgemmBF16). It prints nanoseconds per
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
)

func probeBF16(n int)
func probeFMA(n int)
func probeVNNI(n int)

func main() {
	if !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VNNI, cpuid.AVX512BF16) {
		fmt.Fprintln(os.Stderr, "insnprobe: this CPU lacks AVX512F, AVX512-VNNI or AVX512-BF16")
		os.Exit(1)
	}
	const n = 50_000_000
	probes := []struct {
		name  string
		fn    func(int)
		count int // instructions per iteration
		macs  int // multiply-adds per instruction
	}{
		{"VFMADD231PS zmm (float32)", probeFMA, 12, 16},
		{"VPDPBUSD zmm (u8×s8)", probeVNNI, 12, 64},
		{"VDPBF16PS zmm (bfloat16)", probeBF16, 24, 32},
	}
	for r := 1; r <= 3; r++ {
		for _, p := range probes {
			t := time.Now()
			p.fn(n)
			ns := float64(time.Since(t).Nanoseconds()) / float64(p.count*n)
			fmt.Printf("round %d  %-26s %.3f ns/instruction  %6.1f multiply-adds/ns\n", r, p.name, ns, float64(p.macs)/ns)
		}
	}
}
