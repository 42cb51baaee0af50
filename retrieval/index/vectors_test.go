package index

import (
	"slices"
	"testing"
)

func TestVectors(t *testing.T) {
	f := New(2)
	if err := f.Add([]string{"a", "b", "c"}, []float32{1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	v := f.Vectors()
	if !slices.Equal(v, []float32{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("Vectors: %v", v)
	}
	v[0] = 9 // a copy: the index keeps its own
	if f.Vector(0)[0] != 1 {
		t.Fatal("Vectors aliases the index's storage")
	}
}
