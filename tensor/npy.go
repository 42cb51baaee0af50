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
	// Streamed: a buffer of the whole file would double the memory a
	// large matrix takes.
	return atomicfile.WriteFunc(path, func(w io.Writer) error { return EncodeNpy(w, t) })
}

var npyHeaderRe = regexp.MustCompile(`^\{\s*'descr':\s*'([<>|=]?)f4',\s*'fortran_order':\s*(False|True),\s*'shape':\s*\(([0-9,\s]*)\),?\s*\}\s*$`)

// DecodeNpy reads a float32 .npy array (version 1.x or 2.x, little-endian,
// C order); name is used in errors.
func DecodeNpy(data []byte, name string) (*Tensor, error) {
	s, off, err := npyHeader(data, name)
	if err != nil {
		return nil, err
	}
	body := data[off:]
	if len(body) != 4*s.Numel() {
		return nil, npyError(name, "%d data bytes for shape %v (want %d)", len(body), s, 4*s.Numel())
	}
	t := New(s)
	for i := range t.Data {
		t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return t, nil
}

func npyError(name, format string, args ...any) error {
	return fmt.Errorf("tensor: %s: not a float32 .npy array: %s", name, fmt.Sprintf(format, args...))
}

// npyHeader parses the magic, version and header dict at the start of
// data, returning the array's shape and the offset of its first data
// byte. data may end anywhere after the header.
func npyHeader(data []byte, name string) (Shape, int, error) {
	fail := func(format string, args ...any) (Shape, int, error) {
		return Shape{}, 0, npyError(name, format, args...)
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
	return s, off + hlen, nil
}

// npyMaxHeader bounds the header a file may declare: NumPy's own headers
// are a few hundred bytes.
const npyMaxHeader = 1 << 20

// ReadNpyFile reads a float32 .npy file. It streams the data into the
// tensor, so reading a file takes its size in memory once, not twice.
func ReadNpyFile(path string) (*Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tensor: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("tensor: %w", err)
	}
	size := st.Size()
	// The fixed prefix (at most 12 bytes), then the header it declares.
	head := make([]byte, min(size, 12))
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, fmt.Errorf("tensor: %s: %w", path, err)
	}
	if len(head) >= 10 && bytes.Equal(head[:6], npyMagic) {
		hlen, off := int64(0), int64(10)
		switch head[6] {
		case 1:
			hlen = int64(binary.LittleEndian.Uint16(head[8:10]))
		case 2, 3:
			if len(head) == 12 {
				hlen, off = int64(binary.LittleEndian.Uint32(head[8:12])), 12
			}
		}
		if hlen > npyMaxHeader {
			return nil, npyError(path, "header of %d bytes (at most %d)", hlen, npyMaxHeader)
		}
		if want := min(off+hlen, size); want > int64(len(head)) {
			rest := make([]byte, want-int64(len(head)))
			if _, err := io.ReadFull(f, rest); err != nil {
				return nil, fmt.Errorf("tensor: %s: %w", path, err)
			}
			head = append(head, rest...)
		}
	}
	s, off, err := npyHeader(head, path)
	if err != nil {
		return nil, err
	}
	if body := size - int64(off); body != 4*int64(s.Numel()) {
		return nil, npyError(path, "%d data bytes for shape %v (want %d)", body, s, 4*s.Numel())
	}
	t := New(s)
	if _, err := f.Seek(int64(off), io.SeekStart); err != nil {
		return nil, fmt.Errorf("tensor: %s: %w", path, err)
	}
	buf := make([]byte, 1<<20)
	for i := 0; i < len(t.Data); {
		chunk := buf[:4*min(len(buf)/4, len(t.Data)-i)]
		if _, err := io.ReadFull(f, chunk); err != nil {
			return nil, fmt.Errorf("tensor: %s: %w", path, err)
		}
		for j := 0; j < len(chunk); j += 4 {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(chunk[j:]))
			i++
		}
	}
	return t, nil
}
