package index

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
)

// Read reads an index in the file format of the package documentation
// from r, verifying its checksum, and stops after the checksum. The index
// is held in memory and may grow with Add. Errors wrap [ErrFormat],
// [ErrVersion], [ErrTruncated] or [ErrChecksum] where they apply.
func Read(r io.Reader) (*Flat, error) {
	const name = "read"
	br := bufio.NewReaderSize(r, 1<<16)
	sum := crc32.New(castagnoli)
	tr := io.TeeReader(br, sum)

	hb := make([]byte, headerSize)
	if err := readFull(tr, hb, name, "header"); err != nil {
		return nil, err
	}
	h, err := parseHeader(hb, name)
	if err != nil {
		return nil, err
	}

	// Grow the matrix as it arrives, so that a corrupt header cannot make
	// Read allocate more than the data it is given.
	const chunk = 1 << 20 // floats
	nd := h.n * h.d
	vecs := make([]float32, 0, min(nd, chunk))
	for len(vecs) < nd {
		c := min(nd-len(vecs), chunk)
		vecs = slices.Grow(vecs, c)[:len(vecs)+c]
		if err := readFull(tr, floatBytes(vecs[len(vecs)-c:]), name, "matrix"); err != nil {
			return nil, err
		}
	}
	fromLE(vecs)

	sec := make([]byte, 0, min(h.idsSize, 1<<20))
	buf := make([]byte, 1<<16)
	for len(sec) < h.idsSize {
		c := min(h.idsSize-len(sec), len(buf))
		if err := readFull(tr, buf[:c], name, "ids"); err != nil {
			return nil, err
		}
		sec = append(sec, buf[:c]...)
	}

	metaSec := make([]byte, h.metaSize) // at most maxMeta
	if err := readFull(tr, metaSec, name, "metadata"); err != nil {
		return nil, err
	}

	var stored [crcSize]byte
	if err := readFull(br, stored[:], name, "checksum"); err != nil {
		return nil, err
	}
	if want, got := binary.LittleEndian.Uint32(stored[:]), sum.Sum32(); want != got {
		return nil, fmt.Errorf("index: %s: checksum: %w: stored %#08x, computed %#08x", name, ErrChecksum, want, got)
	}
	ids, err := parseIDs(sec, h.n, name)
	if err != nil {
		return nil, err
	}
	meta, err := parseMeta(metaSec, name)
	if err != nil {
		return nil, err
	}
	return &Flat{d: h.d, vecs: vecs, ids: ids, meta: meta}, nil
}

// readFull fills b from r, reporting a short read as truncation of field.
func readFull(r io.Reader, b []byte, name, field string) error {
	n, err := io.ReadFull(r, b)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("index: %s: %s: %w: got %d of %d bytes", name, field, ErrTruncated, n, len(b))
	default:
		return fmt.Errorf("index: %s: %s: %w", name, field, err)
	}
}

// parse decodes a whole index file held in b. The matrix aliases b where
// the machine allows it (see viewFloats); aliased says whether it does.
func parse(b []byte, name string, verify bool) (f *Flat, aliased bool, err error) {
	if len(b) < headerSize {
		return nil, false, fmt.Errorf("index: %s: header: %w: file is %d bytes, the header is %d", name, ErrTruncated, len(b), headerSize)
	}
	h, err := parseHeader(b, name)
	if err != nil {
		return nil, false, err
	}
	matEnd := headerSize + h.matSize
	idsEnd := matEnd + h.idsSize
	metaEnd := idsEnd + h.metaSize
	switch total := h.total(); {
	case len(b) < total:
		field, start, size := "checksum", metaEnd, crcSize
		if len(b) < matEnd {
			field, start, size = "matrix", headerSize, h.matSize
		} else if len(b) < idsEnd {
			field, start, size = "ids", matEnd, h.idsSize
		} else if len(b) < metaEnd {
			field, start, size = "metadata", idsEnd, h.metaSize
		}
		return nil, false, fmt.Errorf("index: %s: %s: %w: file is %d bytes; the section spans [%d, %d) and the file should be %d bytes (n=%d, d=%d)",
			name, field, ErrTruncated, len(b), start, start+size, total, h.n, h.d)
	case len(b) > total:
		return nil, false, fmt.Errorf("index: %s: checksum: %w: %d bytes of trailing data after the checksum at %d", name, ErrFormat, len(b)-total, metaEnd)
	}
	if verify {
		want := binary.LittleEndian.Uint32(b[metaEnd:])
		if got := crc32.Checksum(b[:metaEnd], castagnoli); got != want {
			return nil, false, fmt.Errorf("index: %s: checksum: %w: stored %#08x, computed %#08x", name, ErrChecksum, want, got)
		}
	}
	ids, err := parseIDs(b[matEnd:idsEnd], h.n, name)
	if err != nil {
		return nil, false, err
	}
	meta, err := parseMeta(b[idsEnd:metaEnd], name)
	if err != nil {
		return nil, false, err
	}
	vecs, aliased := viewFloats(b[headerSize:matEnd])
	return &Flat{d: h.d, vecs: vecs, ids: ids, meta: meta}, aliased, nil
}
