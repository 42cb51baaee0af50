package tensor

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestShape(t *testing.T) {
	cases := []struct {
		dims              []int
		numel, rows, cols int
		str               string
		err               string
	}{
		{nil, 1, 1, 1, "[]", ""},
		{[]int{5}, 5, 1, 5, "[5]", ""},
		{[]int{2, 3}, 6, 2, 3, "[2 3]", ""},
		{[]int{2, 3, 4, 5}, 120, 24, 5, "[2 3 4 5]", ""},
		{[]int{4, 0, 3}, 0, 0, 3, "[4 0 3]", ""},
		{[]int{1, 2, 3, 4, 5}, 0, 0, 0, "", "rank 5"},
		{[]int{2, -1}, 0, 0, 0, "", "negative"},
		{[]int{1 << 30, 1 << 30, 2}, 0, 0, 0, "", "more than"},
	}
	for _, c := range cases {
		s, err := NewShape(c.dims...)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("NewShape(%v) error = %v, want one containing %q", c.dims, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("NewShape(%v): %v", c.dims, err)
		}
		if s.Numel() != c.numel || s.Rows() != c.rows || s.Cols() != c.cols || s.String() != c.str || s.Rank() != len(c.dims) {
			t.Errorf("shape %v: numel %d rows %d cols %d str %s", c.dims, s.Numel(), s.Rows(), s.Cols(), s)
		}
	}
	if S(2, 3).Dim(-1) != 3 || S(2, 3).Dim(0) != 2 {
		t.Error("Dim indexing")
	}
	if !S(2, 3).Equal(S(2, 3)) || S(2, 3).Equal(S(3, 2)) || S(6).Equal(S(6, 1)) {
		t.Error("Equal")
	}
}

func TestViewsAndErrors(t *testing.T) {
	x := New(S(4, 3))
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	v, err := x.Reshape(S(2, 6))
	if err != nil || v.Data[7] != 7 {
		t.Fatalf("Reshape: %v %v", v, err)
	}
	v.Data[7] = -1
	if x.Data[7] != -1 {
		t.Fatal("Reshape does not share data")
	}
	rows, err := x.Slice(1, 3)
	if err != nil || rows.Shape != S(2, 3) || rows.Data[0] != 3 || len(rows.Data) != 6 {
		t.Fatalf("Slice: %v %v", rows, err)
	}
	tr := New(S(3, 4))
	if err := Transpose2D(tr, x); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		for j := 0; j < 3; j++ {
			if tr.Data[j*4+i] != x.Data[i*3+j] {
				t.Fatalf("Transpose2D (%d,%d)", i, j)
			}
		}
	}
	bad := []struct {
		name string
		err  error
	}{
		{"Reshape", func() error { _, err := x.Reshape(S(5)); return err }()},
		{"Slice", func() error { _, err := x.Slice(3, 5); return err }()},
		{"Transpose2D", Transpose2D(New(S(4, 3)), x)},
		{"Add", Add(x, x, New(S(4)))},
		{"Add dst", Add(New(S(3, 4)), x, x)},
		{"FromData", func() error { _, err := FromData(S(2, 2), make([]float32, 3)); return err }()},
		{"CopyFrom", x.CopyFrom(New(S(12)))},
		{"ArgMaxRows", x.ArgMaxRows(make([]int, 3))},
	}
	for _, b := range bad {
		if b.err == nil || !errors.Is(b.err, ErrShape) {
			t.Errorf("%s: error %v, want ErrShape", b.name, b.err)
		}
	}
}

func TestElementwise(t *testing.T) {
	a, _ := FromData(S(2, 3), []float32{1, 2, 3, 4, 5, 6})
	row, _ := FromData(S(3), []float32{10, 20, 30})
	dst := New(S(2, 3))
	cases := []struct {
		name string
		f    func(dst, a, b *Tensor) error
		b    *Tensor
		want []float32
	}{
		{"Add row", Add, row, []float32{11, 22, 33, 14, 25, 36}},
		{"Sub row", Sub, row, []float32{-9, -18, -27, -6, -15, -24}},
		{"Mul row", Mul, row, []float32{10, 40, 90, 40, 100, 180}},
		{"Mul same", Mul, a, []float32{1, 4, 9, 16, 25, 36}},
	}
	for _, c := range cases {
		if err := c.f(dst, a, c.b); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, w := range c.want {
			if dst.Data[i] != w {
				t.Fatalf("%s: got %v want %v", c.name, dst.Data, c.want)
			}
		}
	}
	if a.Sum() != 21 || a.Mean() != 3.5 {
		t.Error("Sum/Mean")
	}
	if m, at := a.Max(); m != 6 || at != 5 {
		t.Error("Max")
	}
	arg := make([]int, 2)
	if err := a.ArgMaxRows(arg); err != nil || arg[0] != 2 || arg[1] != 2 {
		t.Error("ArgMaxRows")
	}
	if math.Abs(a.Norm()-math.Sqrt(91)) > 1e-12 {
		t.Error("Norm")
	}
	a.Data[4] = float32(math.Inf(1))
	if ok, at := a.Finite(); ok || at != 4 {
		t.Error("Finite")
	}
}

func TestRNG(t *testing.T) {
	g1, g2 := NewRNG(7), NewRNG(7)
	x, y := New(S(10000)), New(S(10000))
	g1.Normal(x, 0, 0.02)
	state, err := g1.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	g2.Normal(y, 0, 0.02)
	for i := range x.Data {
		if x.Data[i] != y.Data[i] {
			t.Fatal("same seed, different draws")
		}
	}
	// 10,000 draws: the sample std is within 3% of 0.02 and the mean within
	// 4 standard errors (0.0008) of 0, except with negligible probability.
	if std := x.Norm() / 100; math.Abs(std-0.02) > 0.0006 || math.Abs(x.Mean()) > 0.0008 {
		t.Errorf("Normal(0, 0.02): std %v mean %v", std, x.Mean())
	}
	a := g1.Uint64()
	g3 := NewRNG(99)
	if err := g3.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if g3.Uint64() != a {
		t.Fatal("restored state draws differently")
	}
	if NewRNG(8).Uint64() == NewRNG(7).Uint64() {
		t.Error("different seeds, same first draw")
	}
}

// TestNpyMatchesNumpy checks that EncodeNpy writes the same bytes as
// numpy's np.save (testdata/gen_npy.py) and that DecodeNpy reads them.
func TestNpyMatchesNumpy(t *testing.T) {
	for _, name := range []string{"matrix", "vector", "rows"} {
		want, err := os.ReadFile("testdata/" + name + ".npy")
		if err != nil {
			t.Fatal(err)
		}
		x, err := DecodeNpy(want, name)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := EncodeNpy(&b, x); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s: our encoding differs from numpy's:\n%q\n%q", name, b.Bytes()[:min(80, b.Len())], want[:80])
		}
	}
	m, _ := ReadNpyFile("testdata/matrix.npy")
	if m.Shape != S(2, 3) || m.Data[0] != float32(-2.5/3) {
		t.Errorf("matrix.npy: %v", m)
	}
	for _, bad := range [][]byte{nil, []byte("\x93NUMPY\x01\x00\xff\xff"), append([]byte("\x93NUMPY\x01\x00\x20\x00"), []byte("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }")...)} {
		if _, err := DecodeNpy(bad, "bad.npy"); err == nil || !strings.Contains(err.Error(), "bad.npy") {
			t.Errorf("malformed npy accepted or error without the name: %v", err)
		}
	}
}

// TestReadNpyFile checks that the streaming file reader agrees with
// DecodeNpy on numpy's files and refuses what DecodeNpy refuses, naming
// the file.
func TestReadNpyFile(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"matrix", "vector", "rows"} {
		path := "testdata/" + name + ".npy"
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := DecodeNpy(data, name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadNpyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Shape != want.Shape || !slices.Equal(got.Data, want.Data) {
			t.Errorf("%s: ReadNpyFile %v, DecodeNpy %v", name, got, want)
		}
		for _, c := range []struct {
			what string
			data []byte
		}{
			{"truncated body", data[:len(data)-1]},
			{"extra byte", append(slices.Clip(data), 0)},
			{"truncated header", data[:20]},
			{"no magic", append([]byte("X"), data[1:]...)},
			{"empty", nil},
		} {
			bad := filepath.Join(dir, name+"-bad.npy")
			if err := os.WriteFile(bad, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadNpyFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
				t.Errorf("%s, %s: accepted or error without the path: %v", name, c.what, err)
			}
		}
	}
	// A file larger than the reader's chunk.
	big := New(S(700, 512))
	for i := range big.Data {
		big.Data[i] = float32(i) - 0.5
	}
	path := filepath.Join(dir, "big.npy")
	if err := WriteNpyFile(path, big); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNpyFile(path)
	if err != nil || got.Shape != big.Shape || !slices.Equal(got.Data, big.Data) {
		t.Errorf("700×512 round trip: %v", err)
	}
}
