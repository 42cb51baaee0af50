package kernels

import (
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
	return info
}
