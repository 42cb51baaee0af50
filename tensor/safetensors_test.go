package tensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDTypesAgainstNumpyAndTorch decodes every binary16 bit pattern and a
// sample of bfloat16 values and compares them with the float32 values numpy
// and PyTorch gave (testdata/gen_dtypes.py).
func TestDTypesAgainstNumpyAndTorch(t *testing.T) {
	f, err := ReadSafetensorsFile("testdata/dtypes.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{"f16", "f16_as_f32"}, {"bf16", "bf16_as_f32"}} {
		got, want := f.Tensors[pair[0]], f.Tensors[pair[1]]
		if got == nil || want == nil || got.Shape != want.Shape {
			t.Fatalf("%s: missing or mismatched tensors", pair[0])
		}
		for i, w := range want.Data {
			g := got.Data[i]
			if math.IsNaN(float64(w)) {
				if !math.IsNaN(float64(g)) {
					t.Fatalf("%s[%d] = %v, want NaN", pair[0], i, g)
				}
				continue
			}
			if math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("%s[%d] = %v (%#x), want %v (%#x)", pair[0], i, g, math.Float32bits(g), w, math.Float32bits(w))
			}
		}
	}
	if f.DTypes["f16"] != "F16" || f.Metadata["generator"] != "gen_dtypes.py" {
		t.Errorf("dtypes %v metadata %v", f.DTypes, f.Metadata)
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	g := NewRNG(1)
	a, b, s := New(S(3, 5)), New(S(2, 1, 4)), New(S())
	g.Normal(a, 0, 1)
	g.Normal(b, 0, 1)
	s.Data[0] = float32(math.Inf(-1))
	empty := New(S(0, 7))
	path := filepath.Join(t.TempDir(), "m.safetensors")
	in := []Named{{Name: "w.a", Tensor: a}, {Name: "w.b", Tensor: b}, {Name: "scalar", Tensor: s}, {Name: "empty", Tensor: empty}}
	if err := WriteSafetensorsFile(path, in, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if hl := binary.LittleEndian.Uint64(raw); (8+hl)%8 != 0 {
		t.Errorf("data does not start 8-aligned: header %d", hl)
	}
	f, err := ReadSafetensorsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.Names, ",") != "w.a,w.b,scalar,empty" || f.Metadata["format"] != "pt" {
		t.Fatalf("names %v metadata %v", f.Names, f.Metadata)
	}
	for _, n := range in {
		got := f.Tensors[n.Name]
		if got.Shape != n.Tensor.Shape {
			t.Fatalf("%s: shape %v want %v", n.Name, got.Shape, n.Tensor.Shape)
		}
		for i := range got.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(n.Tensor.Data[i]) {
				t.Fatalf("%s[%d]: %v want %v", n.Name, i, got.Data[i], n.Tensor.Data[i])
			}
		}
	}
	if err := EncodeSafetensors(&bytes.Buffer{}, []Named{{Name: "x", Tensor: a}, {Name: "x", Tensor: b}}, nil); err == nil {
		t.Error("repeated name accepted")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// build returns a safetensors file with the given header JSON and data.
func build(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestSafetensorsBadInput(t *testing.T) {
	eight := make([]byte, 8)
	good := build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight)
	if _, err := DecodeSafetensors(good, "good"); err != nil {
		t.Fatalf("well-formed file rejected: %v", err)
	}
	huge := make([]byte, 16)
	binary.LittleEndian.PutUint64(huge, MaxSafetensorsHeader+1)
	cases := []struct {
		name string
		file []byte
		want string // a phrase the error must contain
	}{
		{"empty file", nil, "shorter than the 8-byte header length"},
		{"truncated length", []byte{1, 2, 3}, "shorter than the 8-byte"},
		{"oversized header", huge, "exceeds the"},
		{"header past end", build(`{"a":1}`, nil)[:10], "runs past the end"},
		{"truncated data", good[:len(good)-3], `tensor "a": field data_offsets [0, 8] runs past`},
		{"not JSON", build(`{"a":`, nil), "not JSON"},
		{"not an object", build(`[1,2]`, nil), "not a JSON object"},
		{"unknown dtype", build(`{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}`, eight), `tensor "a": field dtype: unknown dtype "F33"`},
		{"unsupported dtype", build(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, eight), "I64 is not supported"},
		{"missing dtype", build(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, eight), "field dtype is missing"},
		{"missing shape", build(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, eight), "field shape is missing"},
		{"negative dim", build(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight), "field shape"},
		{"rank 5", build(`{"a":{"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]}}`, eight), "rank 5"},
		{"offsets not a pair", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}`, eight), "must be [begin, end]"},
		{"offsets reversed", build(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, eight), "is not a range"},
		{"size mismatch", build(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight), "shape [3] of F32 needs 12"},
		{"overlap", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "overlaps"},
		{"gap", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "gap of 4 bytes"},
		{"trailing data", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight), "cover 4 bytes of data but the file holds 8"},
		{"duplicate name", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), `tensor "a" appears twice`},
		{"unknown field", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, eight), `unknown field "x"`},
		{"metadata not strings", build(`{"__metadata__":{"k":1}}`, nil), "__metadata__ must map strings to strings"},
		{"garbage after header", build(`{}xyz`, nil), "unexpected bytes after"},
		{"wrong type for shape", build(`{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}`, eight), `tensor "a"`},
	}
	for _, c := range cases {
		_, err := DecodeSafetensors(c.file, "model.safetensors")
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !errors.Is(err, ErrSafetensors) || !strings.Contains(err.Error(), "model.safetensors") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want ErrSafetensors naming the file and containing %q", c.name, err, c.want)
		}
	}
}

// TestSafetensorsUnaligned decodes tensors whose data starts at odd byte
// offsets (an F16 tensor of odd length before an F32 one).
func TestSafetensorsUnaligned(t *testing.T) {
	data := []byte{0x00, 0x3c, 0, 0, 0x80, 0x3f} // F16 1.0, then F32 1.0 at offset 2
	f, err := DecodeSafetensors(build(`{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"f":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}} `, data), "u")
	if err != nil {
		t.Fatal(err)
	}
	if f.Tensors["h"].Data[0] != 1 || f.Tensors["f"].Data[0] != 1 {
		t.Fatalf("got %v %v", f.Tensors["h"].Data, f.Tensors["f"].Data)
	}
}

// FuzzDecodeSafetensors checks that no input makes the decoder panic, that
// every error names the file and wraps ErrSafetensors, and that whatever it
// accepts survives an encode and decode unchanged.
func FuzzDecodeSafetensors(f *testing.F) {
	f.Add(build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(build(`{"__metadata__":{"k":"v"},"h":{"dtype":"F16","shape":[1,2],"data_offsets":[0,4]}}`, []byte{0, 0x3c, 0, 0xbc}))
	f.Add(build(`{"b":{"dtype":"BF16","shape":[],"data_offsets":[0,2]}}`, []byte{0x80, 0x3f}))
	f.Add([]byte{})
	f.Add(build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)))
	f.Add(build(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(build(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}`, make([]byte, 8)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, '{', '}'})
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := DecodeSafetensors(data, "fuzz")
		if err != nil {
			if !errors.Is(err, ErrSafetensors) || !strings.HasPrefix(err.Error(), "tensor: fuzz: ") {
				t.Fatalf("error %q does not name the file or wrap ErrSafetensors", err)
			}
			return
		}
		if len(sf.Names) != len(sf.Tensors) {
			t.Fatalf("%d names for %d tensors", len(sf.Names), len(sf.Tensors))
		}
		var named []Named
		for _, n := range sf.Names {
			named = append(named, Named{Name: n, Tensor: sf.Tensors[n]})
		}
		var buf bytes.Buffer
		if err := EncodeSafetensors(&buf, named, sf.Metadata); err != nil {
			t.Fatalf("re-encoding an accepted file: %v", err)
		}
		again, err := DecodeSafetensors(buf.Bytes(), "again")
		if err != nil {
			t.Fatalf("decoding our own encoding: %v", err)
		}
		for _, n := range sf.Names {
			a, b := sf.Tensors[n], again.Tensors[n]
			if a.Shape != b.Shape {
				t.Fatalf("%s: shape %v became %v", n, a.Shape, b.Shape)
			}
			for i := range a.Data {
				if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
					t.Fatalf("%s[%d] changed", n, i)
				}
			}
		}
	})
}

func TestSafetensorsSkipping(t *testing.T) {
	data := append(make([]byte, 16), 0, 0, 0x80, 0x3f) // two int64 zeros, then F32 1.0
	file := build(`{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"w":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}`, data)
	if _, err := DecodeSafetensors(file, "m"); err == nil || !strings.Contains(err.Error(), "I64 is not supported") {
		t.Fatalf("I64 without skipping: %v", err)
	}
	f, err := DecodeSafetensorsSkipping(file, "m", func(name, dtype string) bool { return name == "ids" })
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Skipped) != 1 || f.Skipped[0] != "ids" || len(f.Names) != 1 || f.Tensors["w"].Data[0] != 1 || f.Tensors["ids"] != nil {
		t.Fatalf("skipped %v names %v", f.Skipped, f.Names)
	}
	// Skipped tensors are still checked: a bad offset is still an error.
	bad := build(`{"ids":{"dtype":"I64","shape":[3],"data_offsets":[0,16]},"w":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}`, data)
	if _, err := DecodeSafetensorsSkipping(bad, "m", func(string, string) bool { return true }); err == nil {
		t.Fatal("a skipped tensor with a wrong size was accepted")
	}
}

// TestSafetensorsChecksum checks that a file rrra writes carries the
// CRC-32C of its data, that any flipped data byte or a changed checksum is
// refused naming the field, and that a file without one still decodes.
func TestSafetensorsChecksum(t *testing.T) {
	sh, _ := NewShape(2, 3)
	a, _ := FromData(sh, []float32{1, 2, 3, 4, 5, 6})
	var buf bytes.Buffer
	if err := EncodeSafetensors(&buf, []Named{{Name: "a", Tensor: a}}, map[string]string{"format": "pt", ChecksumKey: "stale"}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	f, err := DecodeSafetensors(good, "good")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Metadata[ChecksumKey]) != 8 || f.Metadata["format"] != "pt" {
		t.Fatalf("metadata %v: want format and an 8-digit checksum", f.Metadata)
	}
	dataStart := len(good) - 4*6
	for i := dataStart; i < len(good); i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0x10
		if _, err := DecodeSafetensors(bad, "bad.safetensors"); err == nil || !strings.Contains(err.Error(), "__metadata__."+ChecksumKey) || !strings.Contains(err.Error(), "bad.safetensors") {
			t.Fatalf("data byte %d flipped: err %v", i-dataStart, err)
		}
	}
	sum := f.Metadata[ChecksumKey]
	other := bytes.Replace(good, []byte(sum), []byte(strings.Repeat("0", 8)), 1)
	if _, err := DecodeSafetensors(other, "x"); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("a changed checksum: err %v", err)
	}
	noSum := bytes.Replace(good, []byte(`"`+ChecksumKey+`":"`+sum+`"`), []byte(`"zzzz_crc32c":"`+sum+`"`), 1)
	if _, err := DecodeSafetensors(noSum, "x"); err != nil {
		t.Fatalf("a file without the checksum entry: %v", err)
	}
}

// TestSafetensorsInt8 round-trips I8 tensors beside F32 ones, checks that
// the checksum covers them, and that readers not asking for I8 refuse it.
func TestSafetensorsInt8(t *testing.T) {
	q := &Int8Tensor{Shape: S(2, 3), Data: []int8{-128, -64, 0, 1, 64, 127}}
	f := New(S(2))
	f.Data[0], f.Data[1] = 1.5, -2
	var buf bytes.Buffer
	if err := EncodeSafetensors(&buf, []Named{{Name: "w", Int8: q}, {Name: "w_scale", Tensor: f}}, nil); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	sf, err := DecodeSafetensorsWith(data, "q.safetensors", DecodeOptions{Int8: true})
	if err != nil {
		t.Fatal(err)
	}
	got := sf.Int8["w"]
	if got == nil || got.Shape != q.Shape || !slices.Equal(got.Data, q.Data) || sf.DTypes["w"] != "I8" {
		t.Fatalf("I8 tensor came back as %+v (dtype %s)", got, sf.DTypes["w"])
	}
	if sf.Tensors["w_scale"].Data[1] != -2 || sf.Tensors["w"] != nil {
		t.Fatalf("F32 tensor or maps wrong: %+v", sf.Tensors)
	}
	if _, err := DecodeSafetensors(data, "q.safetensors"); err == nil || !strings.Contains(err.Error(), `tensor "w": field dtype: I8 is not supported`) {
		t.Errorf("a reader not asking for I8 got %v", err)
	}
	bad := bytes.Clone(data)
	bad[len(bad)-9] ^= 1 // a byte of the I8 data (the 8 F32 bytes come last)
	if _, err := DecodeSafetensorsWith(bad, "q.safetensors", DecodeOptions{Int8: true}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("a flipped I8 byte gave %v, want a checksum error", err)
	}
}
