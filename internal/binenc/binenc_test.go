package binenc

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// TestRoundTrip writes a record and reads it back, then checks that every
// truncation of it fails with ErrShort and never panics.
func TestRoundTrip(t *testing.T) {
	b := binary.AppendUvarint(nil, 300)
	b = AppendFloat32s(b, []float32{1.5, float32(math.Inf(-1)), -0})
	b = append(b, "ok"...)
	r := NewReader(b)
	if n, v, s := r.Uvarint(), r.Float32s(), string(r.Bytes(2)); r.Err() != nil || n != 300 || len(v) != 3 || v[0] != 1.5 || !math.IsInf(float64(v[1]), -1) || s != "ok" || r.Remaining() != 0 {
		t.Fatalf("read %d %v %q, err %v, %d left", n, v, s, r.Err(), r.Remaining())
	}
	for cut := 0; cut < len(b); cut++ {
		r := NewReader(b[:cut])
		r.Uvarint()
		r.Float32s()
		r.Bytes(2)
		if !errors.Is(r.Err(), ErrShort) {
			t.Fatalf("cut at %d of %d: err %v", cut, len(b), r.Err())
		}
	}
}
