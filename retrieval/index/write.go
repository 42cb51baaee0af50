package index

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/rrra/rrra/internal/atomicfile"
)

// WriteTo writes the index to w in the file format of the package
// documentation and returns the number of bytes written.
func (f *Flat) WriteTo(w io.Writer) (int64, error) {
	idsSize := 0
	for i, id := range f.ids {
		if uint64(len(id)) > math.MaxUint32 {
			return 0, fmt.Errorf("index: write: id %d is %d bytes, more than a uint32 length holds", i, len(id))
		}
		idsSize += 4 + len(id)
	}
	meta, err := encodeMeta(f.meta)
	if err != nil {
		return 0, fmt.Errorf("index: write: %w", err)
	}
	cw := &countWriter{w: w}
	sw := &sumWriter{w: bufio.NewWriterSize(cw, 1<<16)}
	sw.write(encodeHeader(f.d, f.Len(), idsSize, len(meta)))

	var buf [1 << 16]byte
	for v := f.vecs; len(v) > 0 && sw.err == nil; {
		c := min(len(v), len(buf)/4)
		for i, x := range v[:c] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		sw.write(buf[:4*c])
		v = v[c:]
	}
	for _, id := range f.ids {
		binary.LittleEndian.PutUint32(buf[:4], uint32(len(id)))
		sw.write(buf[:4])
		sw.writeString(id)
	}
	sw.write(meta)
	binary.LittleEndian.PutUint32(buf[:4], sw.crc)
	sw.write(buf[:4])
	if sw.err == nil {
		sw.err = sw.w.Flush()
	}
	if sw.err != nil {
		return cw.n, fmt.Errorf("index: write: %w", sw.err)
	}
	return cw.n, nil
}

// Save writes the index to path atomically: a crash leaves either the old
// file or the complete new one.
func (f *Flat) Save(path string) error {
	err := atomicfile.WriteFunc(path, func(w io.Writer) error {
		_, err := f.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("index: save %s: %w", path, err)
	}
	return nil
}

// sumWriter writes through a buffer, keeping the CRC-32C of what it wrote
// and the first error.
type sumWriter struct {
	w   *bufio.Writer
	crc uint32
	err error
}

func (s *sumWriter) write(p []byte) {
	if s.err != nil {
		return
	}
	s.crc = crc32.Update(s.crc, castagnoli, p)
	_, s.err = s.w.Write(p)
}

func (s *sumWriter) writeString(p string) {
	if s.err != nil {
		return
	}
	s.crc = crc32.Update(s.crc, castagnoli, []byte(p))
	_, s.err = s.w.WriteString(p)
}

// countWriter counts the bytes that reach w.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
