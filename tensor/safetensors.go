package tensor

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"sort"

	"github.com/rrra/rrra/internal/atomicfile"
)

// The safetensors format (Hugging Face): an 8-byte little-endian header
// length N, N bytes of JSON, then the tensors' bytes. The JSON maps each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end]}, offsets
// relative to the start of the data; an optional "__metadata__" maps strings
// to strings. Readers here accept F32, and F16 and BF16 converted to F32;
// DecodeSafetensorsWith also accepts I8 when asked (quantized models).

// MaxSafetensorsHeader caps the JSON header's length, as the reference
// implementation does (100 MB), so a corrupt length cannot ask for gigabytes.
const MaxSafetensorsHeader = 100 << 20

// ErrSafetensors is wrapped by every error about a malformed safetensors file.
var ErrSafetensors = errors.New("malformed safetensors")

// SafeFile is a decoded safetensors file.
type SafeFile struct {
	Names    []string               // tensor names in the order of their data
	Tensors  map[string]*Tensor     // decoded to float32
	Int8     map[string]*Int8Tensor // I8 tensors, when DecodeOptions.Int8 allowed them
	DTypes   map[string]string      // each tensor's dtype as stored
	Metadata map[string]string      // the __metadata__ entries, if any
	Skipped  []string               // tensors left undecoded (DecodeSafetensorsSkipping)
}

// dtypeSize lists the dtypes of the format with their sizes in bytes; the
// ones rrra cannot read are named in errors as unsupported, not unknown.
var dtypeSize = map[string]int{
	"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
	"U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
}

// Int8Tensor is a tensor of signed bytes, as quantized weights are stored.
type Int8Tensor struct {
	Shape Shape
	Data  []int8
}

// DecodeOptions are DecodeSafetensorsWith's choices beyond the default.
type DecodeOptions struct {
	// Skip, if not nil, selects tensors that are checked but not decoded
	// (see DecodeSafetensorsSkipping).
	Skip func(tensor, dtype string) bool
	// Int8 accepts I8 tensors, decoded into SafeFile.Int8 rather than
	// Tensors; without it they are refused as unsupported.
	Int8 bool
}

type headerEntry struct {
	DType   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// ReadSafetensorsFile reads and decodes the safetensors file at path.
func ReadSafetensorsFile(path string) (*SafeFile, error) {
	return ReadSafetensorsFileSkipping(path, nil)
}

// ReadSafetensorsFileSkipping reads path with DecodeSafetensorsSkipping.
func ReadSafetensorsFileSkipping(path string, skip func(tensor, dtype string) bool) (*SafeFile, error) {
	return ReadSafetensorsFileWith(path, DecodeOptions{Skip: skip})
}

// ReadSafetensorsFileWith reads path with DecodeSafetensorsWith.
func ReadSafetensorsFileWith(path string, opt DecodeOptions) (*SafeFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tensor: %w", err)
	}
	return DecodeSafetensorsWith(data, path, opt)
}

// DecodeSafetensors decodes a whole safetensors file held in data; name is
// used in error messages (usually the file's path). Every offset is checked:
// the tensors must tile the data region exactly, in bounds and without gaps
// or overlaps, each as long as its shape and dtype say.
func DecodeSafetensors(data []byte, name string) (*SafeFile, error) {
	return DecodeSafetensorsSkipping(data, name, nil)
}

// DecodeSafetensorsSkipping is DecodeSafetensors, except that tensors for
// which skip(name, dtype) is true are checked like the others but not
// decoded, and may have any known dtype; their names are listed in the
// result's Skipped. Loaders use it for buffers they do not need, such as the
// int64 position_ids of older BERT checkpoints.
func DecodeSafetensorsSkipping(data []byte, name string, skip func(tensor, dtype string) bool) (*SafeFile, error) {
	return DecodeSafetensorsWith(data, name, DecodeOptions{Skip: skip})
}

// DecodeSafetensorsWith is DecodeSafetensors with options: tensors to skip,
// and whether I8 tensors are accepted (into the result's Int8 map).
func DecodeSafetensorsWith(data []byte, name string, opt DecodeOptions) (*SafeFile, error) {
	skip := opt.Skip
	fail := func(format string, args ...any) error {
		return fmt.Errorf("tensor: %s: %w: %s", name, ErrSafetensors, fmt.Sprintf(format, args...))
	}
	if len(data) < 8 {
		return nil, fail("file is %d bytes, shorter than the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n > MaxSafetensorsHeader {
		return nil, fail("header length %d exceeds the %d-byte limit", n, MaxSafetensorsHeader)
	}
	if n > uint64(len(data)-8) {
		return nil, fail("header length %d runs past the end of the %d-byte file (truncated?)", n, len(data))
	}
	header, body := data[8:8+n], data[8+n:]
	entries, order, meta, err := parseHeader(header)
	if err != nil {
		return nil, fail("header: %v", err)
	}
	type span struct {
		name       string
		begin, end int64
		shape      Shape
		dtype      string
		skipped    bool
	}
	spans := make([]span, 0, len(entries))
	f := &SafeFile{Tensors: make(map[string]*Tensor, len(entries)), Int8: map[string]*Int8Tensor{},
		DTypes: make(map[string]string, len(entries)), Metadata: meta}
	for _, tn := range order {
		e := entries[tn]
		size, known := dtypeSize[e.DType]
		skipped := known && skip != nil && skip(tn, e.DType)
		switch {
		case e.DType == "":
			return nil, fail("tensor %q: field dtype is missing", tn)
		case !known:
			return nil, fail("tensor %q: field dtype: unknown dtype %q", tn, e.DType)
		case !skipped && e.DType == "I8" && opt.Int8:
		case !skipped && e.DType != "F32" && e.DType != "F16" && e.DType != "BF16":
			return nil, fail("tensor %q: field dtype: %s is not supported (rrra reads F32, F16 and BF16%s)", tn, e.DType,
				map[bool]string{true: ", and I8 in quantized models"}[opt.Int8 || e.DType == "I8"])
		}
		if e.Shape == nil {
			return nil, fail("tensor %q: field shape is missing", tn)
		}
		dims := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || d > maxElems {
				return nil, fail("tensor %q: field shape: dimension %d is %d", tn, i, d)
			}
			dims[i] = int(d)
		}
		shape, err := NewShape(dims...)
		if err != nil {
			return nil, fail("tensor %q: field shape: %v", tn, err)
		}
		if len(e.Offsets) != 2 {
			return nil, fail("tensor %q: field data_offsets must be [begin, end], have %v", tn, e.Offsets)
		}
		begin, end := e.Offsets[0], e.Offsets[1]
		if begin < 0 || end < begin {
			return nil, fail("tensor %q: field data_offsets [%d, %d] is not a range", tn, begin, end)
		}
		if want := int64(shape.Numel()) * int64(size); end-begin != want {
			return nil, fail("tensor %q: field data_offsets [%d, %d] holds %d bytes; shape %v of %s needs %d",
				tn, begin, end, end-begin, shape, e.DType, want)
		}
		if end > int64(len(body)) {
			return nil, fail("tensor %q: field data_offsets [%d, %d] runs past the %d bytes of data (truncated?)",
				tn, begin, end, len(body))
		}
		spans = append(spans, span{tn, begin, end, shape, e.DType, skipped})
		if skipped {
			f.Skipped = append(f.Skipped, tn)
		}
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	var at int64
	for _, s := range spans {
		switch {
		case s.begin < at:
			return nil, fail("tensor %q: field data_offsets [%d, %d] overlaps the tensor before it (which ends at %d)", s.name, s.begin, s.end, at)
		case s.begin > at:
			return nil, fail("tensor %q: field data_offsets [%d, %d] leaves a gap of %d bytes after offset %d", s.name, s.begin, s.end, s.begin-at, at)
		}
		at = s.end
		if !s.skipped {
			f.Names = append(f.Names, s.name)
		}
	}
	if at != int64(len(body)) {
		return nil, fail("the tensors cover %d bytes of data but the file holds %d after the header", at, len(body))
	}
	// Decoded only now that the ranges tile the data exactly: a header
	// that lists one range many times cannot multiply the memory.
	for _, s := range spans {
		switch {
		case s.skipped:
		case s.dtype == "I8":
			f.DTypes[s.name] = s.dtype
			q := make([]int8, s.shape.Numel())
			for i, b := range body[s.begin:s.end] {
				q[i] = int8(b)
			}
			f.Int8[s.name] = &Int8Tensor{Shape: s.shape, Data: q}
		default:
			f.DTypes[s.name] = s.dtype
			f.Tensors[s.name] = &Tensor{Shape: s.shape, Data: decodeValues(body[s.begin:s.end], s.dtype, s.shape.Numel())}
		}
	}
	if want, ok := meta[ChecksumKey]; ok {
		if got := fmt.Sprintf("%08x", crc32.Checksum(body, castagnoli)); got != want {
			return nil, fail("field __metadata__.%s: the data's CRC-32C is %s, the header says %q: the file is corrupt", ChecksumKey, got, want)
		}
	}
	return f, nil
}

// parseHeader reads the JSON header, rejecting duplicate names, unknown
// fields and non-string metadata. order lists the names as they appear.
func parseHeader(h []byte) (entries map[string]headerEntry, order []string, meta map[string]string, err error) {
	dec := json.NewDecoder(bytes.NewReader(h))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, nil, fmt.Errorf("not a JSON object")
	}
	entries = map[string]headerEntry{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("not JSON: %v", err)
		}
		key := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, nil, fmt.Errorf("not JSON at entry %q: %v", key, err)
		}
		if key == "__metadata__" {
			if meta != nil {
				return nil, nil, nil, fmt.Errorf("__metadata__ appears twice")
			}
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, nil, fmt.Errorf("__metadata__ must map strings to strings: %v", err)
			}
			if meta == nil {
				meta = map[string]string{}
			}
			continue
		}
		if _, dup := entries[key]; dup {
			return nil, nil, nil, fmt.Errorf("tensor %q appears twice", key)
		}
		var e headerEntry
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return nil, nil, nil, fmt.Errorf("tensor %q: %v", key, err)
		}
		entries[key] = e
		order = append(order, key)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, nil, fmt.Errorf("not JSON: %v", err)
	}
	// Trailing bytes must be padding (spaces), as writers align the data.
	rest, _ := io.ReadAll(dec.Buffered())
	if len(bytes.TrimRight(rest, " \t\r\n\x00")) != 0 {
		return nil, nil, nil, fmt.Errorf("unexpected bytes after the JSON object")
	}
	return entries, order, meta, nil
}

// decodeValues converts n little-endian values of dtype from b, which may
// have any alignment.
func decodeValues(b []byte, dtype string, n int) []float32 {
	out := make([]float32, n)
	switch dtype {
	case "F32":
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case "F16":
		for i := range out {
			out[i] = f16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case "BF16":
		for i := range out {
			out[i] = bf16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	}
	return out
}

// Named pairs a tensor with its name, for writing: Tensor is written as F32,
// or, when Int8 is set, Int8 as I8 (and Tensor is ignored).
type Named struct {
	Name   string
	Tensor *Tensor
	Int8   *Int8Tensor
}

// dtype, dims and size are what a Named tensor is written as.
func (t Named) dtype() string {
	if t.Int8 != nil {
		return "I8"
	}
	return "F32"
}

func (t Named) dims() []int {
	if t.Int8 != nil {
		return t.Int8.Shape.Dims()
	}
	return t.Tensor.Shape.Dims()
}

func (t Named) size() int64 {
	if t.Int8 != nil {
		return int64(len(t.Int8.Data))
	}
	return 4 * int64(len(t.Tensor.Data))
}

// appendData calls flush with the tensor's bytes in pieces of at most
// cap(buf) bytes, reusing buf.
func (t Named) appendData(buf []byte, flush func([]byte) error) ([]byte, error) {
	if t.Int8 != nil {
		for _, v := range t.Int8.Data {
			buf = append(buf, byte(v))
			if len(buf) == cap(buf) {
				if err := flush(buf); err != nil {
					return buf, err
				}
				buf = buf[:0]
			}
		}
		return buf, nil
	}
	for _, v := range t.Tensor.Data {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) {
			if err := flush(buf); err != nil {
				return buf, err
			}
			buf = buf[:0]
		}
	}
	return buf, nil
}

// EncodeSafetensors writes tensors as F32 (I8 where Named.Int8 is set) in the given order, with the
// given metadata plus the data's checksum under ChecksumKey, padding the header to a multiple of 8 bytes as the reference
// writer does. Names must be unique, non-empty and not "__metadata__".
func EncodeSafetensors(w io.Writer, tensors []Named, metadata map[string]string) error {
	meta := make(map[string]string, len(metadata)+1)
	for k, v := range metadata {
		meta[k] = v
	}
	meta[ChecksumKey] = fmt.Sprintf("%08x", dataCRC(tensors))
	var hdr bytes.Buffer
	hdr.WriteByte('{')
	{
		m, err := json.Marshal(meta)
		if err != nil {
			return fmt.Errorf("tensor: safetensors metadata: %w", err)
		}
		hdr.WriteString(`"__metadata__":`)
		hdr.Write(m)
	}
	seen := make(map[string]bool, len(tensors))
	var off int64
	for i, t := range tensors {
		if t.Name == "" || t.Name == "__metadata__" || seen[t.Name] {
			return fmt.Errorf("tensor: safetensors: tensor %d has an empty, reserved or repeated name %q", i, t.Name)
		}
		seen[t.Name] = true
		if hdr.Len() > 1 {
			hdr.WriteByte(',')
		}
		name, _ := json.Marshal(t.Name)
		shape, _ := json.Marshal(t.dims())
		end := off + t.size()
		fmt.Fprintf(&hdr, `%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, name, t.dtype(), shape, off, end)
		off = end
	}
	hdr.WriteByte('}')
	for hdr.Len()%8 != 0 {
		hdr.WriteByte(' ')
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(hdr.Len()))
	if _, err := w.Write(n[:]); err != nil {
		return fmt.Errorf("tensor: writing safetensors: %w", err)
	}
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return fmt.Errorf("tensor: writing safetensors: %w", err)
	}
	buf := make([]byte, 0, 1<<16)
	write := func(b []byte) error {
		_, err := w.Write(b)
		return err
	}
	for _, t := range tensors {
		var err error
		if buf, err = t.appendData(buf, write); err != nil {
			return fmt.Errorf("tensor: writing safetensors: %w", err)
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("tensor: writing safetensors: %w", err)
	}
	return nil
}

// ChecksumKey is the metadata entry in which EncodeSafetensors stores the
// CRC-32C (Castagnoli) of the data section, as 8 lower-case hex digits.
// Decoding verifies it when present; other readers ignore it, as they
// ignore any metadata.
const ChecksumKey = "rrra_crc32c"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// dataCRC is the CRC-32C of the data section EncodeSafetensors writes for
// tensors: their values as little-endian float32 (or bytes, for I8), in
// order.
func dataCRC(tensors []Named) uint32 {
	var sum uint32
	buf := make([]byte, 0, 1<<16)
	update := func(b []byte) error {
		sum = crc32.Update(sum, castagnoli, b)
		return nil
	}
	for _, t := range tensors {
		buf, _ = t.appendData(buf, update)
	}
	return crc32.Update(sum, castagnoli, buf)
}

// WriteSafetensorsFile writes tensors to path atomically: to a temporary file
// in the same directory, synced, then renamed over path, so path holds
// either its old contents or the whole new file, never a part.
func WriteSafetensorsFile(path string, tensors []Named, metadata map[string]string) error {
	return atomicfile.WriteFunc(path, func(w io.Writer) error {
		if err := EncodeSafetensors(w, tensors, metadata); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	})
}

// SortedNamed returns the tensors of m as a slice sorted by name.
func SortedNamed(m map[string]*Tensor) []Named {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]Named, len(names))
	for i, n := range names {
		out[i] = Named{Name: n, Tensor: m[n]}
	}
	return out
}
