package index

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"os"

	"github.com/rrra/rrra/internal/atomicfile"
)

// IVF file layout (all integers little-endian; every section starts where
// the sizes before it put it, and the vector sections at multiples of 64):
//
//	offset  size        field
//	0       8           magic "RRRAIVF\x00"
//	8       4           format version, 1
//	12      4           flags: 1 SQ8 codes, 2 float32 vectors (always for IVF-Flat)
//	16      8           d, the dimension
//	24      8           n, the number of documents
//	32      8           nlist
//	40      8           k-means iterations
//	48      8           k-means sample cap
//	56      8           seed
//	64      8           vectors k-means ran on
//	72      8           size in bytes of the ids section
//	80      8           size m in bytes of the metadata section (at most 1 MiB)
//	88      40          zero
//	128     4·nlist·d   centroids, float32
//	…       8·d         SQ8: each dimension's offset, then its step, float32
//	…       8·(nlist+1) list l holds grouped rows offsets[l] .. offsets[l+1]
//	…       4·n         document index of each grouped row, uint32
//	…       …           zero padding to a multiple of 64
//	…       n·d         SQ8: the codes of each grouped row; then padding to 64
//	…       4·n·d       flag 2: the float32 vector of each grouped row
//	…       …           the ids in document order, each a uint32 byte length and the bytes
//	…       m           the metadata, a JSON object of strings
//	…       4           CRC-32C (Castagnoli) of every byte before it
//
// Rows are grouped by list, lists in order, documents increasing within a
// list; every document is in exactly one list.
const (
	ivfMagic      = "RRRAIVF\x00"
	ivfVersion    = 1
	ivfHeaderSize = 128
	ivfFlagSQ8    = 1
	ivfFlagVecs   = 2
	// maxNList bounds nlist so that a corrupt header cannot ask for absurd
	// centroid sections.
	maxNList = 1 << 24
)

// ivfHeader is the decoded header with the section offsets it implies.
type ivfHeader struct {
	flags                   uint32
	d, n, nlist             int
	cfg                     IVFConfig
	trainedOn               int
	idsSize, metaSize       int
	cent, ranges, offs, doc int // section offsets
	codes, vecs, ids, meta  int
	crc                     int // offset of the checksum
}

func align64(x int) int { return (x + 63) &^ 63 }

// layout fills in the section offsets from the sizes.
func (h *ivfHeader) layout() {
	h.cent = ivfHeaderSize
	h.ranges = h.cent + 4*h.nlist*h.d
	h.offs = h.ranges
	if h.flags&ivfFlagSQ8 != 0 {
		h.offs += 8 * h.d
	}
	h.doc = h.offs + 8*(h.nlist+1)
	h.codes = align64(h.doc + 4*h.n)
	h.vecs = h.codes
	if h.flags&ivfFlagSQ8 != 0 {
		h.vecs = align64(h.codes + h.n*h.d)
	}
	h.ids = h.vecs
	if h.flags&ivfFlagVecs != 0 {
		h.ids += 4 * h.n * h.d
	}
	h.meta = h.ids + h.idsSize
	h.crc = h.meta + h.metaSize
}

func (h *ivfHeader) encode() []byte {
	b := make([]byte, ivfHeaderSize)
	copy(b, ivfMagic)
	le := binary.LittleEndian
	le.PutUint32(b[8:], ivfVersion)
	le.PutUint32(b[12:], h.flags)
	for i, v := range []int{h.d, h.n, h.nlist, h.cfg.Iterations, h.cfg.Sample} {
		le.PutUint64(b[16+8*i:], uint64(v))
	}
	le.PutUint64(b[56:], h.cfg.Seed)
	le.PutUint64(b[64:], uint64(h.trainedOn))
	le.PutUint64(b[72:], uint64(h.idsSize))
	le.PutUint64(b[80:], uint64(h.metaSize))
	return b
}

// parseIVFHeader decodes and checks b[:ivfHeaderSize]; every size must be
// in its domain and the file size they imply must fit an int.
func parseIVFHeader(b []byte, name string) (ivfHeader, error) {
	le := binary.LittleEndian
	if string(b[:8]) != ivfMagic {
		return ivfHeader{}, fmt.Errorf("index: %s: magic: %w: got %q, want %q", name, ErrFormat, b[:8], ivfMagic)
	}
	if v := le.Uint32(b[8:]); v != ivfVersion {
		return ivfHeader{}, fmt.Errorf("index: %s: version: %w %d (this build reads IVF version %d)", name, ErrVersion, v, ivfVersion)
	}
	flags := le.Uint32(b[12:])
	if flags&^(ivfFlagSQ8|ivfFlagVecs) != 0 || flags == 0 {
		return ivfHeader{}, fmt.Errorf("index: %s: flags: %w: %#x (known: 1 SQ8, 2 vectors, at least one)", name, ErrFormat, flags)
	}
	u := func(off int) uint64 { return le.Uint64(b[off:]) }
	d, n, nlist, iters, sample := u(16), u(24), u(32), u(40), u(48)
	trained, ids, meta := u(64), u(72), u(80)
	for i, v := range b[88:ivfHeaderSize] {
		if v != 0 {
			return ivfHeader{}, fmt.Errorf("index: %s: reserved bytes: %w: byte %d is %#x, want 0", name, ErrFormat, 88+i, v)
		}
	}
	const limit = math.MaxInt / 8
	switch {
	case d < 1 || d > maxDim:
		return ivfHeader{}, fmt.Errorf("index: %s: d: %w: dimension %d outside [1, %d]", name, ErrFormat, d, maxDim)
	case nlist < 1 || nlist > maxNList:
		return ivfHeader{}, fmt.Errorf("index: %s: nlist: %w: %d outside [1, %d]", name, ErrFormat, nlist, maxNList)
	case n > math.MaxInt32:
		return ivfHeader{}, fmt.Errorf("index: %s: n: %w: %d documents, more than %d", name, ErrFormat, n, math.MaxInt32)
	case iters < 1 || iters > maxIterations:
		return ivfHeader{}, fmt.Errorf("index: %s: iterations: %w: %d outside [1, %d]", name, ErrFormat, iters, maxIterations)
	case sample < nlist || sample > limit:
		return ivfHeader{}, fmt.Errorf("index: %s: sample: %w: %d, less than nlist %d or absurd", name, ErrFormat, sample, nlist)
	case trained < nlist || trained > sample:
		return ivfHeader{}, fmt.Errorf("index: %s: trained-on count: %w: %d outside [nlist %d, sample %d]", name, ErrFormat, trained, nlist, sample)
	case meta > maxMeta:
		return ivfHeader{}, fmt.Errorf("index: %s: metadata size: %w: %d bytes, more than %d", name, ErrFormat, meta, maxMeta)
	case ids > limit || ids < 4*n:
		return ivfHeader{}, fmt.Errorf("index: %s: ids size: %w: %d bytes for %d ids", name, ErrFormat, ids, n)
	}
	hi, nd := bits.Mul64(n, d)
	if hi != 0 || nd > limit/8 {
		return ivfHeader{}, fmt.Errorf("index: %s: n: %w: n·d = %d·%d overflows", name, ErrFormat, n, d)
	}
	if nlist*d > limit/8 {
		return ivfHeader{}, fmt.Errorf("index: %s: nlist: %w: nlist·d = %d·%d overflows", name, ErrFormat, nlist, d)
	}
	h := ivfHeader{flags: flags, d: int(d), n: int(n), nlist: int(nlist),
		cfg:       IVFConfig{NList: int(nlist), Iterations: int(iters), Sample: int(sample), Seed: u(56), SQ8: flags&ivfFlagSQ8 != 0},
		trainedOn: int(trained), idsSize: int(ids), metaSize: int(meta)}
	h.layout()
	return h, nil
}

// WriteTo writes the index to w in the IVF file format (see the package
// documentation) and returns the number of bytes written.
func (x *IVF) WriteTo(w io.Writer) (int64, error) {
	q := x.q
	idsSize := 0
	for i, id := range x.ids {
		if uint64(len(id)) > math.MaxUint32 {
			return 0, fmt.Errorf("index: ivf: write: id %d is %d bytes, more than a uint32 length holds", i, len(id))
		}
		idsSize += 4 + len(id)
	}
	meta, err := encodeMeta(x.meta)
	if err != nil {
		return 0, fmt.Errorf("index: ivf: write: %w", err)
	}
	h := ivfHeader{d: q.d, n: x.Len(), nlist: q.nlist, cfg: q.cfg, trainedOn: q.trainedOn, idsSize: idsSize, metaSize: len(meta)}
	if q.sq8 {
		h.flags |= ivfFlagSQ8
	}
	if x.keep {
		h.flags |= ivfFlagVecs
	}
	h.layout()

	cw := &countWriter{w: w}
	sw := &sumWriter{w: bufio.NewWriterSize(cw, 1<<16)}
	sw.write(h.encode())
	var buf [1 << 16]byte
	floats := func(v []float32) {
		for len(v) > 0 && sw.err == nil {
			c := min(len(v), len(buf)/4)
			for i, f := range v[:c] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(f))
			}
			sw.write(buf[:4*c])
			v = v[c:]
		}
	}
	pad := func(at int) { // zero bytes up to offset at
		var zero [64]byte
		sw.write(zero[:at-int(cw.n)-sw.w.Buffered()])
	}
	floats(q.centroids)
	if q.sq8 {
		floats(q.lo)
		floats(q.step)
	}
	off := uint64(0)
	for _, l := range x.lists {
		binary.LittleEndian.PutUint64(buf[:8], off)
		sw.write(buf[:8])
		off += uint64(len(l.docs))
	}
	binary.LittleEndian.PutUint64(buf[:8], off)
	sw.write(buf[:8])
	for _, l := range x.lists {
		for _, doc := range l.docs {
			binary.LittleEndian.PutUint32(buf[:4], uint32(doc))
			sw.write(buf[:4])
		}
	}
	pad(h.codes)
	if q.sq8 {
		for _, l := range x.lists {
			sw.write(l.codes)
		}
		pad(h.vecs)
	}
	if x.keep {
		for _, l := range x.lists {
			floats(l.vecs)
		}
	}
	for _, id := range x.ids {
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
		return cw.n, fmt.Errorf("index: ivf: write: %w", sw.err)
	}
	return cw.n, nil
}

// Save writes the index to path atomically: a crash leaves either the old
// file or the complete new one.
func (x *IVF) Save(path string) error {
	err := atomicfile.WriteFunc(path, func(w io.Writer) error {
		_, err := x.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("index: save %s: %w", path, err)
	}
	return nil
}

// LoadIVF opens the IVF index file at path, written by [IVF.Save]. On
// Linux and Darwin the file is memory-mapped read-only and the codes and
// vectors used in place (pages are read as lists are probed); elsewhere it
// is read into memory. The index is read-only ([IVF.Add] returns
// [ErrReadOnly]) and should be released with Close. The checksum is
// verified unless opts.SkipChecksum; the header, the lists and the ids are
// always checked, so that a corrupt file fails with an error naming the
// file and the field, never later in a search. Errors wrap [ErrFormat],
// [ErrVersion], [ErrTruncated] or [ErrChecksum] where they apply.
func LoadIVF(path string, opts LoadOptions) (*IVF, error) {
	b, unmap, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("index: load: %w", err)
	}
	x, aliased, err := parseIVF(b, path, !opts.SkipChecksum)
	if err != nil || !aliased {
		if uerr := unmap(); err == nil && uerr != nil {
			err = fmt.Errorf("index: load %s: %w", path, uerr)
		}
		if err != nil {
			return nil, err
		}
	} else {
		x.closer = unmap
	}
	x.readOnly = true
	return x, nil
}

// parseIVF decodes a whole IVF file held in b; the codes and vectors alias
// b where the machine allows it (aliased).
func parseIVF(b []byte, name string, verify bool) (x *IVF, aliased bool, err error) {
	if len(b) < ivfHeaderSize {
		return nil, false, fmt.Errorf("index: %s: header: %w: file is %d bytes, the header is %d", name, ErrTruncated, len(b), ivfHeaderSize)
	}
	h, err := parseIVFHeader(b, name)
	if err != nil {
		return nil, false, err
	}
	total := h.crc + crcSize
	if len(b) < total {
		field := "checksum"
		for _, s := range []struct {
			name string
			end  int
		}{{"centroids", h.ranges}, {"ranges", h.offs}, {"list offsets", h.doc}, {"documents", h.codes},
			{"codes", h.vecs}, {"vectors", h.ids}, {"ids", h.meta}, {"metadata", h.crc}} {
			if len(b) < s.end {
				field = s.name
				break
			}
		}
		return nil, false, fmt.Errorf("index: %s: %s: %w: file is %d bytes, should be %d (n=%d, d=%d, nlist=%d)",
			name, field, ErrTruncated, len(b), total, h.n, h.d, h.nlist)
	}
	if len(b) > total {
		return nil, false, fmt.Errorf("index: %s: checksum: %w: %d bytes of trailing data after the checksum at %d", name, ErrFormat, len(b)-total, h.crc)
	}
	if verify {
		want := binary.LittleEndian.Uint32(b[h.crc:])
		if got := crc32.Checksum(b[:h.crc], castagnoli); got != want {
			return nil, false, fmt.Errorf("index: %s: checksum: %w: stored %#08x, computed %#08x", name, ErrChecksum, want, got)
		}
	}
	le := binary.LittleEndian
	pads := [][2]int{{h.doc + 4*h.n, h.codes}}
	if h.flags&ivfFlagSQ8 != 0 {
		pads = append(pads, [2]int{h.codes + h.n*h.d, h.vecs})
	}
	for _, p := range pads {
		for i := p[0]; i < p[1]; i++ {
			if b[i] != 0 {
				return nil, false, fmt.Errorf("index: %s: padding: %w: byte %d is %#x, want 0", name, ErrFormat, i, b[i])
			}
		}
	}
	q := &Quantizer{d: h.d, nlist: h.nlist, sq8: h.flags&ivfFlagSQ8 != 0, cfg: h.cfg, trainedOn: h.trainedOn}
	q.centroids, _ = viewFloats(b[h.cent:h.ranges])
	q.centroids = append([]float32(nil), q.centroids...) // small: never aliased
	if q.sq8 {
		r, _ := viewFloats(b[h.ranges:h.offs])
		q.lo = append([]float32(nil), r[:h.d]...)
		q.step = append([]float32(nil), r[h.d:]...)
	}
	x = &IVF{q: q, keep: h.flags&ivfFlagVecs != 0, lists: make([]ivfList, h.nlist)}
	docs := make([]int32, h.n)
	seen := make([]bool, h.n)
	prev := uint64(0)
	for l := range h.nlist {
		lo, hi := le.Uint64(b[h.offs+8*l:]), le.Uint64(b[h.offs+8*l+8:])
		if l == 0 && lo != 0 || hi < lo || hi > uint64(h.n) || lo != prev {
			return nil, false, fmt.Errorf("index: %s: list offsets: %w: list %d spans [%d, %d) of %d rows", name, ErrFormat, l, lo, hi, h.n)
		}
		prev = hi
		for r := lo; r < hi; r++ {
			doc := le.Uint32(b[h.doc+4*int(r):])
			if uint64(doc) >= uint64(h.n) || seen[doc] || (r > lo && int32(doc) <= docs[r-1]) {
				return nil, false, fmt.Errorf("index: %s: documents: %w: row %d of list %d is document %d (n=%d; repeated or out of order)", name, ErrFormat, r, l, doc, h.n)
			}
			seen[doc] = true
			docs[r] = int32(doc)
		}
		list := &x.lists[l]
		list.docs = docs[lo:hi:hi]
		if q.sq8 {
			list.codes = b[h.codes+int(lo)*h.d : h.codes+int(hi)*h.d : h.codes+int(hi)*h.d]
		}
	}
	if prev != uint64(h.n) {
		return nil, false, fmt.Errorf("index: %s: list offsets: %w: the lists end at row %d of %d", name, ErrFormat, prev, h.n)
	}
	aliased = q.sq8 // codes are bytes: always aliased
	if x.keep {
		vecs, al := viewFloats(b[h.vecs:h.ids])
		aliased = aliased || al
		off := 0
		for l := range x.lists {
			n := len(x.lists[l].docs) * h.d
			x.lists[l].vecs = vecs[off : off+n : off+n]
			off += n
		}
	}
	if x.ids, err = parseIDs(b[h.ids:h.meta], h.n, name); err != nil {
		return nil, false, err
	}
	if x.meta, err = parseMeta(b[h.meta:h.crc], name); err != nil {
		return nil, false, err
	}
	if err := x.checkNProbeMeta(name); err != nil {
		return nil, false, err
	}
	x.locate(0)
	return x, aliased, nil
}

// IsIVF reports whether the file at path starts with the IVF magic (an
// exact index file, or anything else, does not).
func IsIVF(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var m [8]byte
	if _, err := io.ReadFull(f, m[:]); err != nil {
		return false, nil
	}
	return string(m[:]) == ivfMagic, nil
}
