package index

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
)

// File layout; see the package documentation.
const (
	magic      = "RRRAIDX\x00"
	version    = 2 // the newest version; version 1 has no metadata
	headerSize = 64
	crcSize    = 4
	// maxDim bounds d so that a corrupt header cannot ask for absurd rows.
	maxDim = 1 << 24
	// maxMeta bounds the metadata section (version 2).
	maxMeta = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors that [Load] and [Read] wrap, for errors.Is; the messages say
// which file and which field.
var (
	// ErrFormat means the data is not an index file, or is malformed.
	ErrFormat = errors.New("malformed index file")
	// ErrVersion means the file has a format version this build cannot read.
	ErrVersion = errors.New("unknown index format version")
	// ErrTruncated means the data ends before the layout its header describes.
	ErrTruncated = errors.New("index file truncated")
	// ErrChecksum means the stored CRC-32C does not match the contents.
	ErrChecksum = errors.New("index checksum mismatch")
)

// header is the decoded fixed-size header, with the section sizes it
// implies.
type header struct {
	d, n     int
	idsSize  int // bytes in the ids section
	matSize  int // bytes in the matrix section, 4·n·d
	metaSize int // bytes in the metadata section (version 2; 0 in version 1)
}

// total returns the file size the header describes.
func (h header) total() int { return headerSize + h.matSize + h.idsSize + h.metaSize + crcSize }

// encodeHeader returns the header of an index with n documents of
// dimension d whose ids take idsSize bytes and whose metadata takes
// metaSize: version 1 when there is no metadata (the files earlier
// builds wrote and read), else version 2.
func encodeHeader(d, n, idsSize, metaSize int) []byte {
	b := make([]byte, headerSize)
	copy(b, magic)
	v := uint32(1)
	if metaSize > 0 {
		v = 2
		binary.LittleEndian.PutUint64(b[40:], uint64(metaSize))
	}
	binary.LittleEndian.PutUint32(b[8:], v)
	binary.LittleEndian.PutUint64(b[16:], uint64(d))
	binary.LittleEndian.PutUint64(b[24:], uint64(n))
	binary.LittleEndian.PutUint64(b[32:], uint64(idsSize))
	return b
}

// parseHeader decodes and checks b[:headerSize]; name is the file's name
// in errors.
func parseHeader(b []byte, name string) (header, error) {
	if string(b[:8]) != magic {
		return header{}, fmt.Errorf("index: %s: magic: %w: got %q, want %q", name, ErrFormat, b[:8], magic)
	}
	v := binary.LittleEndian.Uint32(b[8:])
	if v != 1 && v != 2 {
		return header{}, fmt.Errorf("index: %s: version: %w %d (this build reads versions 1 and %d)", name, ErrVersion, v, version)
	}
	meta := uint64(0)
	if v == 2 {
		if meta = binary.LittleEndian.Uint64(b[40:]); meta > maxMeta {
			return header{}, fmt.Errorf("index: %s: metadata size: %w: %d bytes, more than %d", name, ErrFormat, meta, maxMeta)
		}
	}
	if r := binary.LittleEndian.Uint32(b[12:]); r != 0 {
		return header{}, fmt.Errorf("index: %s: reserved field: %w: %#x, want 0", name, ErrFormat, r)
	}
	d := binary.LittleEndian.Uint64(b[16:])
	n := binary.LittleEndian.Uint64(b[24:])
	ids := binary.LittleEndian.Uint64(b[32:])
	if d < 1 || d > maxDim {
		return header{}, fmt.Errorf("index: %s: d: %w: dimension %d outside [1, %d]", name, ErrFormat, d, maxDim)
	}
	// Every size below, and the file size they add up to, must fit an int.
	const limit = math.MaxInt / 4
	hi, nd := bits.Mul64(n, d)
	if hi != 0 || nd > limit {
		return header{}, fmt.Errorf("index: %s: n: %w: n·d = %d·%d overflows", name, ErrFormat, n, d)
	}
	if ids > limit || ids < 4*n {
		return header{}, fmt.Errorf("index: %s: ids size: %w: %d bytes for %d ids", name, ErrFormat, ids, n)
	}
	h := header{d: int(d), n: int(n), idsSize: int(ids), matSize: 4 * int(nd), metaSize: int(meta)}
	if uint64(h.matSize)+ids > math.MaxInt-headerSize-crcSize-maxMeta {
		return header{}, fmt.Errorf("index: %s: n: %w: file size overflows (n=%d, d=%d, ids %d bytes)", name, ErrFormat, n, d, ids)
	}
	return h, nil
}

// parseIDs splits the ids section into n ids, checking that it holds
// exactly that.
func parseIDs(sec []byte, n int, name string) ([]string, error) {
	all := string(sec) // one copy; the ids are substrings of it
	ids := make([]string, n)
	off := 0
	for i := range ids {
		if len(all)-off < 4 {
			return nil, fmt.Errorf("index: %s: ids: %w: id %d of %d has no length (section ends at byte %d)", name, ErrFormat, i, n, off)
		}
		l := binary.LittleEndian.Uint32(sec[off:])
		off += 4
		if uint64(l) > uint64(len(all)-off) {
			return nil, fmt.Errorf("index: %s: ids: %w: id %d of %d is %d bytes, %d left in the section", name, ErrFormat, i, n, l, len(all)-off)
		}
		ids[i] = all[off : off+int(l)]
		off += int(l)
	}
	if off != len(all) {
		return nil, fmt.Errorf("index: %s: ids: %w: %d bytes left after %d ids", name, ErrFormat, len(all)-off, n)
	}
	return ids, nil
}

// encodeMeta returns the metadata section for m: a JSON object of strings
// (empty for no metadata).
func encodeMeta(m map[string]string) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m) // keys sorted: the same metadata, the same bytes
	if err != nil {
		return nil, err
	}
	if len(b) > maxMeta {
		return nil, fmt.Errorf("metadata of %d bytes, more than %d", len(b), maxMeta)
	}
	return b, nil
}

// parseMeta decodes the metadata section.
func parseMeta(sec []byte, name string) (map[string]string, error) {
	if len(sec) == 0 {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal(sec, &m); err != nil {
		return nil, fmt.Errorf("index: %s: metadata: %w: %v", name, ErrFormat, err)
	}
	return m, nil
}
