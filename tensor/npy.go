package tensor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/rrra/rrra/internal/atomicfile"
)

// The .npy format (NumPy's, version 1.0): the magic "\x93NUMPY", version
// bytes 1 and 0, a little-endian uint16 header length, an ASCII Python dict
// literal padded with spaces and ending in '\n' so that the data starts at a
// multiple of 64 bytes, then the data. rrra writes and reads little-endian
// float32 ('<f4') in C order.

var npyMagic = []byte("\x93NUMPY")

// EncodeNpy writes t as a float32 .npy array of t's shape.
func EncodeNpy(w io.Writer, t *Tensor) error {
	dims := t.Shape.Dims()
	var shape string
	switch len(dims) {
	case 0:
		shape = "()"
	case 1:
		shape = fmt.Sprintf("(%d,)", dims[0])
	default:
		parts := make([]string, len(dims))
		for i, d := range dims {
			parts[i] = strconv.Itoa(d)
		}
		shape = "(" + strings.Join(parts, ", ") + ")"
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape)
	total := len(npyMagic) + 2 + 2 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	var b bytes.Buffer
	b.Write(npyMagic)
	b.Write([]byte{1, 0})
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("tensor: writing npy: %w", err)
	}
	buf := make([]byte, 0, 1<<16)
	for _, v := range t.Data {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("tensor: writing npy: %w", err)
			}
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("tensor: writing npy: %w", err)
	}
	return nil
}

// WriteNpyFile writes t to path as .npy, atomically (temporary file, sync,
// rename).
func WriteNpyFile(path string, t *Tensor) error {
	var b bytes.Buffer
	if err := EncodeNpy(&b, t); err != nil {
		return err
	}
	return atomicfile.Write(path, b.Bytes())
}

var npyHeaderRe = regexp.MustCompile(`^\{\s*'descr':\s*'([<>|=]?)f4',\s*'fortran_order':\s*(False|True),\s*'shape':\s*\(([0-9,\s]*)\),?\s*\}\s*$`)

// DecodeNpy reads a float32 .npy array (version 1.x or 2.x, little-endian,
// C order); name is used in errors.
func DecodeNpy(data []byte, name string) (*Tensor, error) {
	fail := func(format string, args ...any) (*Tensor, error) {
		return nil, fmt.Errorf("tensor: %s: not a float32 .npy array: %s", name, fmt.Sprintf(format, args...))
	}
	if len(data) < 10 || !bytes.Equal(data[:6], npyMagic) {
		return fail("no NUMPY magic")
	}
	var hlen, off int
	switch data[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(data[8:10])), 10
	case 2, 3:
		if len(data) < 12 {
			return fail("truncated header")
		}
		hlen, off = int(binary.LittleEndian.Uint32(data[8:12])), 12
	default:
		return fail("version %d.%d", data[6], data[7])
	}
	if off+hlen > len(data) {
		return fail("header of %d bytes runs past the end", hlen)
	}
	m := npyHeaderRe.FindStringSubmatch(string(data[off : off+hlen]))
	if m == nil {
		return fail("header %q (want descr '<f4', C order)", strings.TrimSpace(string(data[off:off+hlen])))
	}
	if m[1] == ">" || m[2] == "True" {
		return fail("big-endian or Fortran-order data")
	}
	var dims []int
	for _, f := range strings.Split(m[3], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil {
			return fail("shape %q", m[3])
		}
		dims = append(dims, d)
	}
	s, err := NewShape(dims...)
	if err != nil {
		return fail("%v", err)
	}
	body := data[off+hlen:]
	if len(body) != 4*s.Numel() {
		return fail("%d data bytes for shape %v (want %d)", len(body), s, 4*s.Numel())
	}
	t := New(s)
	for i := range t.Data {
		t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return t, nil
}

// ReadNpyFile reads a float32 .npy file.
func ReadNpyFile(path string) (*Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tensor: %w", err)
	}
	return DecodeNpy(data, path)
}
