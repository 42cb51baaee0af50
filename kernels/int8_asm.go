//go:build (amd64 || arm64) && !purego

package kernels

import "unsafe"

// int8Asm is the signature every assembly integer micro-kernel shares.
type int8Asm func(kg int, a *uint8, b *int8, bstride int, c unsafe.Pointer, ldc int, za *int32, sa *float32, colSum *int32, sw *float32, bias *float32)

// callInt8 checks every slice the assembly will touch for an mr×nr tile
// (the assembly trusts its pointers) and calls it. colSum goes with raw
// sums too: the arm64 kernels, whose byte products are signed by signed,
// add 128·colSum back (int8_neon_arm64.s); the x86 ones read it only for
// the dequantizing epilogue.
func callInt8(f int8Asm, mr, nr, kg int, a []uint8, b []int8, bstride int, ep *int8Epilogue) {
	_ = a[kg*mr*4-1]
	_ = b[(nr/16-1)*bstride+kg*64-1]
	_ = ep.colSum[nr-1]
	last := (mr-1)*ep.ldc + nr - 1
	if ep.sa == nil {
		_ = ep.ci[last]
		f(kg, &a[0], &b[0], bstride, unsafe.Pointer(&ep.ci[0]), ep.ldc, nil, nil, &ep.colSum[0], nil, nil)
		return
	}
	_ = ep.cf[last]
	_, _ = ep.za[mr-1], ep.sa[mr-1]
	_, _ = ep.sw[nr-1], ep.bias[nr-1]
	f(kg, &a[0], &b[0], bstride, unsafe.Pointer(&ep.cf[0]), ep.ldc, &ep.za[0], &ep.sa[0], &ep.colSum[0], &ep.sw[0], &ep.bias[0])
}
