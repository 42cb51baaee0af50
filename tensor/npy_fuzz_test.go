package tensor

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
)

// FuzzDecodeNpy decodes any input as a float32 .npy array. An error names
// the file; an accepted array has as many values as its shape holds, and
// survives an encode and decode bit for bit.
func FuzzDecodeNpy(f *testing.F) {
	for _, name := range []string{"matrix", "rows", "vector"} {
		b, err := os.ReadFile("testdata/" + name + ".npy")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-1])
	}
	var b bytes.Buffer
	if err := EncodeNpy(&b, New(S())); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte("\x93NUMPY\x01\x00\x20\x00{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n"))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := DecodeNpy(data, "fuzz.npy")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tensor: fuzz.npy: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(x.Data) != x.Shape.Numel() {
			t.Fatalf("%d values for shape %v", len(x.Data), x.Shape)
		}
		var out bytes.Buffer
		if err := EncodeNpy(&out, x); err != nil {
			t.Fatal(err)
		}
		again, err := DecodeNpy(out.Bytes(), "again")
		if err != nil {
			t.Fatalf("decoding our own encoding: %v", err)
		}
		if again.Shape != x.Shape {
			t.Fatalf("shape %v became %v", x.Shape, again.Shape)
		}
		for i := range x.Data {
			if math.Float32bits(x.Data[i]) != math.Float32bits(again.Data[i]) {
				t.Fatalf("value %d changed", i)
			}
		}
	})
}
