//go:build (!amd64 && !arm64) || purego

package kernels

// asmTiers returns no tiers where no assembly is compiled in.
func asmTiers() []*tier { return nil }

// asmInt8Tiers returns no integer tiers where no assembly is compiled in.
func asmInt8Tiers() []*int8Tier { return nil }

// asmBF16Tiers returns no bfloat16 tiers where no assembly is compiled in.
func asmBF16Tiers() []*bf16Tier { return nil }
