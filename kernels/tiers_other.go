//go:build !amd64 || purego

package kernels

// asmTiers returns no tiers where no assembly is compiled in.
func asmTiers() []*tier { return nil }

// asmInt8Tiers returns no integer tiers where no assembly is compiled in.
func asmInt8Tiers() []*int8Tier { return nil }
