package metrics

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// MaxLineBytes bounds a line of a run or qrels file, its line break
// excluded, as beir's qrels reader does: eachLine holds one line at a
// time, plus at most its 64 KiB of reading ahead, so a file without line
// breaks fails with "line longer than" instead of growing a buffer until
// memory runs out. A TREC line is six short fields; 16 MiB is room for any
// real one.
const MaxLineBytes = 16 << 20

// eachLine calls fn with every line of r and its 1-based number, without the
// line ending (LF or CRLF) and without a leading UTF-8 byte order mark. It
// stops at the first error fn returns; read errors are wrapped with name,
// and a line longer than MaxLineBytes is a *LineError.
func eachLine(r io.Reader, name string, fn func(line string, n int) error) error {
	const limit = MaxLineBytes
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for n := 1; ; n++ {
		buf = buf[:0]
		var err error
		for {
			var frag []byte
			frag, err = br.ReadSlice('\n')
			k := len(frag)
			if k > 0 && frag[k-1] == '\n' {
				k--
			}
			if len(buf)+k > limit {
				return &LineError{name, n, "", fmt.Errorf("line longer than the %d-byte limit", limit)}
			}
			if need := len(buf) + len(frag); need > cap(buf) {
				// Double, but never past the limit and a line break.
				nb := make([]byte, len(buf), min(max(2*cap(buf), need), limit+1))
				copy(nb, buf)
				buf = nb
			}
			buf = append(buf, frag...)
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if len(buf) == 0 && err == io.EOF {
			return nil
		}
		line := string(buf)
		line = strings.TrimSuffix(line, "\n")
		line = strings.TrimSuffix(line, "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if ferr := fn(line, n); ferr != nil {
			return ferr
		}
		if err == io.EOF {
			return nil
		}
	}
}

// hasSpace reports whether s contains a character strings.Fields splits on.
func hasSpace(s string) bool {
	return strings.ContainsFunc(s, unicode.IsSpace)
}
