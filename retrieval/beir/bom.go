package beir

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// Byte-order marks. A UTF-8 one is what some Windows editors put before a
// UTF-8 file; a UTF-16 or UTF-32 one means the file is not UTF-8 at all.
var (
	bomUTF8  = []byte{0xEF, 0xBB, 0xBF}
	otherBOM = []struct {
		mark []byte
		name string
	}{
		{[]byte{0x00, 0x00, 0xFE, 0xFF}, "UTF-32 (big-endian)"},
		{[]byte{0xFF, 0xFE, 0x00, 0x00}, "UTF-32 (little-endian)"},
		{[]byte{0xFE, 0xFF}, "UTF-16 (big-endian)"},
		{[]byte{0xFF, 0xFE}, "UTF-16 (little-endian)"},
	}
)

// skipBOM returns a reader of r without a leading UTF-8 byte-order mark,
// which would otherwise make the first line's JSON invalid (or its id
// another id), and refuses a file that starts with a UTF-16 or UTF-32
// mark, naming it: such a file is not UTF-8, and every line of it would be
// malformed. name is the file's name for errors.
func skipBOM(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64) // large reads pass straight through
	head, _ := br.Peek(4)            // fewer at the end of a short file
	for _, o := range otherBOM {
		if bytes.HasPrefix(head, o.mark) {
			return nil, fmt.Errorf("%s:1: the file starts with a %s byte-order mark; rrra reads UTF-8 (convert it, e.g. iconv -f UTF-16 -t UTF-8)", name, o.name)
		}
	}
	if bytes.HasPrefix(head, bomUTF8) {
		br.Discard(len(bomUTF8))
	}
	return br, nil
}
