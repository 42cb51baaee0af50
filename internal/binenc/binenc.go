// Package binenc reads and writes the small binary records that
// checkpoints carry beside the weights (the mined pool, the RRRA sampler's
// state): unsigned varints and little-endian float32s, read with the first
// error kept, so a decoder can read everything and check once.
package binenc

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrShort is the error of a read past the end of the record.
var ErrShort = errors.New("truncated")

// AppendFloat32s appends the length of v as a uvarint, then its values.
func AppendFloat32s(b []byte, v []float32) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// A Reader reads a record front to back. After the first failed read,
// every read returns a zero value and Err reports the failure.
type Reader struct {
	b   []byte
	off int
	err error
}

// NewReader returns a Reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns the first read error, or nil.
func (r *Reader) Err() error { return r.err }

// Remaining returns the number of bytes not read yet.
func (r *Reader) Remaining() int { return len(r.b) - r.off }

// Bytes returns the next n bytes.
func (r *Reader) Bytes(n int) []byte {
	if r.err != nil || n < 0 || n > r.Remaining() {
		r.err = ErrShort
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

// Uvarint returns the next unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.err = ErrShort
		return 0
	}
	r.off += n
	return v
}

// Uint32 returns the next little-endian uint32.
func (r *Reader) Uint32() uint32 {
	b := r.Bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// Float32s returns the next AppendFloat32s record. A length beyond what is
// left fails without allocating it.
func (r *Reader) Float32s() []float32 {
	n := r.Uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(r.Remaining())/4 {
		r.err = ErrShort
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(r.Uint32())
	}
	return out
}
