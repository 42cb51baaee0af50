package bm25

import "math/bits"

// Lucene stores a document's length in one byte (SmallFloat.intToByte4):
// lengths below numFreeValues exactly, longer ones as numFreeValues plus
// the excess rounded down to its four most significant bits. BM25 then
// scores with the decoded, lossy length.

// numFreeValues is the number of lengths a norm byte stores exactly:
// 255 minus the 4-bit encoding of the largest int32, 231.
const numFreeValues = 24

// int4 encodes i ≥ 0 like a tiny float: values below 8 as themselves,
// larger ones as a 3-bit mantissa (the leading 1 implicit) and the shift.
func int4(i uint64) uint32 {
	n := bits.Len64(i)
	if n < 4 {
		return uint32(i)
	}
	shift := n - 4
	return uint32(i>>shift)&7 | uint32(shift+1)<<3
}

// int4Value decodes int4.
func int4Value(e uint32) uint64 {
	m := uint64(e & 7)
	shift := int(e>>3) - 1
	if shift < 0 {
		return m
	}
	return (m | 8) << shift
}

// lengthToNorm encodes a document length as Lucene's norm byte.
func lengthToNorm(n int) uint8 {
	if n < numFreeValues {
		return uint8(n)
	}
	return uint8(numFreeValues + int4(uint64(n-numFreeValues)))
}

// normToLength decodes a norm byte to the length BM25 uses.
func normToLength(b uint8) int {
	if b < numFreeValues {
		return int(b)
	}
	return numFreeValues + int(int4Value(uint32(b)-numFreeValues))
}
