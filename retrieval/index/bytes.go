package index

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// nativeLE reports whether this machine stores integers little-endian, as
// the file does.
func nativeLE() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

// floatBytes returns the bytes of v in memory order.
func floatBytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

// viewFloats returns b, little-endian float32s, as a []float32 sharing its
// memory if this machine is little-endian and b is 4-byte aligned, and as
// a decoded copy otherwise. aliased says which.
func viewFloats(b []byte) (v []float32, aliased bool) {
	if len(b) == 0 {
		return nil, false
	}
	if nativeLE() && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4), true
	}
	v = make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, false
}

// fromLE converts v in place from little-endian bytes, as read from a
// file, to native float32s: nothing to do on a little-endian machine.
func fromLE(v []float32) {
	if nativeLE() {
		return
	}
	b := floatBytes(v)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}
