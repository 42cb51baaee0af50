package index

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestAdd(t *testing.T) {
	f := New(2)
	if err := f.Add([]string{"a", "b"}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	vec := []float32{5, 6}
	if err := f.Add([]string{"c"}, vec); err != nil {
		t.Fatal(err)
	}
	vec[0] = 99 // Add copies
	if f.Len() != 3 || f.Dim() != 2 {
		t.Fatalf("Len %d Dim %d, want 3, 2", f.Len(), f.Dim())
	}
	for i, want := range [][]float32{{1, 2}, {3, 4}, {5, 6}} {
		if got := f.Vector(i); !slices.Equal(got, want) || cap(got) != 2 {
			t.Errorf("Vector(%d) = %v (cap %d), want %v", i, got, cap(got), want)
		}
		if got, want := f.ID(i), string(rune('a'+i)); got != want {
			t.Errorf("ID(%d) = %q, want %q", i, got, want)
		}
	}

	bad := []struct {
		name string
		ids  []string
		vecs []float32
		msg  string
	}{
		{"short", []string{"x"}, []float32{1}, "1 values for 1 ids"},
		{"long", []string{"x"}, []float32{1, 2, 3}, "3 values"},
		{"existing", []string{"x", "b"}, []float32{1, 2, 3, 4}, `"b" is already document 1`},
		{"repeated", []string{"x", "y", "x"}, make([]float32, 6), `"x" repeated (positions 0 and 2)`},
	}
	for _, tc := range bad {
		err := f.Add(tc.ids, tc.vecs)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.msg)
		}
		if f.Len() != 3 || len(f.vecs) != 6 {
			t.Fatalf("%s: failed Add changed the index: Len %d", tc.name, f.Len())
		}
	}
	// A failed Add leaves no trace: its new ids can be added afterwards.
	if err := f.Add([]string{"x", "y"}, make([]float32, 4)); err != nil {
		t.Fatalf("after failed Adds: %v", err)
	}
	if f.Len() != 5 {
		t.Fatalf("Len %d, want 5", f.Len())
	}
}

func TestNewPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(0) did not panic")
		}
	}()
	New(0)
}

func TestCloseInMemory(t *testing.T) {
	f := newFlat(t, 2, []float32{1, 2})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := f.Add([]string{"z"}, []float32{1, 2}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Add after Close: %v, want ErrReadOnly", err)
	}
}
