package kernels

import (
	"runtime"

	"github.com/klauspost/cpuid/v2"
)

// CPUInfo describes the processor as the kernels see it.
type CPUInfo struct {
	Brand         string   // marketing name, e.g. "AMD EPYC 7B13"
	Vendor        string   // vendor as detected, e.g. "AMD"
	Family, Model int      // family and model numbers
	LogicalCores  int      // hardware threads; 0 if undetected
	PhysicalCores int      // cores; 0 if undetected
	L1D, L2, L3   int      // cache sizes in bytes; -1 if undetected
	Features      []string // the SIMD features that matter to the kernels
}

// kernelFeatures are the cpuid features reported by CPU, in this order.
var kernelFeatures = []struct {
	name string
	id   cpuid.FeatureID
}{
	{"SSE2", cpuid.SSE2}, {"SSE4.1", cpuid.SSE4}, {"AVX", cpuid.AVX},
	{"AVX2", cpuid.AVX2}, {"FMA3", cpuid.FMA3}, {"F16C", cpuid.F16C},
	{"AVX512F", cpuid.AVX512F}, {"AVX512DQ", cpuid.AVX512DQ},
	{"AVX512BW", cpuid.AVX512BW}, {"AVX512VL", cpuid.AVX512VL},
	{"AVX512VNNI", cpuid.AVX512VNNI}, {"AVX512BF16", cpuid.AVX512BF16}, {"AVXVNNI", cpuid.AVXVNNI},
	{"AMXTILE", cpuid.AMXTILE}, {"AMXBF16", cpuid.AMXBF16}, {"AMXINT8", cpuid.AMXINT8},
	{"ASIMD", cpuid.ASIMD}, {"ASIMDDP", cpuid.ASIMDDP}, {"BF16", cpuid.BF16}, {"SVE", cpuid.SVE},
}

// CPU returns what cpuid detected about this processor.
func CPU() CPUInfo {
	c := cpuid.CPU
	info := CPUInfo{
		Brand:         c.BrandName,
		Vendor:        c.VendorString,
		Family:        c.Family,
		Model:         c.Model,
		LogicalCores:  c.LogicalCores,
		PhysicalCores: c.PhysicalCores,
		L1D:           c.Cache.L1D,
		L2:            c.Cache.L2,
		L3:            c.Cache.L3,
	}
	for _, f := range kernelFeatures {
		if c.Supports(f.id) {
			info.Features = append(info.Features, f.name)
		}
	}
	if info.Brand == "" && runtime.GOARCH == "arm64" {
		// cpuid has no brand string on arm64; MIDR_EL1's implementer and
		// part number (cpuid's vendor, and Model bits 15:4) name the core.
		info.Brand = armCoreName(c.VendorID, c.Model>>4&0xfff)
	}
	return info
}

// armCores names the Arm-designed cores by MIDR part number (Arm's
// technical reference manuals give each core's MIDR_EL1).
var armCores = map[int]string{
	0xd03: "Cortex-A53", 0xd05: "Cortex-A55", 0xd07: "Cortex-A57",
	0xd08: "Cortex-A72", 0xd09: "Cortex-A73", 0xd0a: "Cortex-A75",
	0xd0b: "Cortex-A76", 0xd0c: "Neoverse N1", 0xd0d: "Cortex-A77",
	0xd40: "Neoverse V1", 0xd41: "Cortex-A78", 0xd44: "Cortex-X1",
	0xd46: "Cortex-A510", 0xd47: "Cortex-A710", 0xd48: "Cortex-X2",
	0xd49: "Neoverse N2", 0xd4f: "Neoverse V2",
}

// armCoreName returns the name of an Arm core from its MIDR implementer
// (as cpuid's vendor) and part number, "" for one it does not know.
func armCoreName(vendor cpuid.Vendor, part int) string {
	if vendor != cpuid.ARM {
		return ""
	}
	return armCores[part]
}
