package metrics

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// eachLine calls fn with every line of r and its 1-based number, without the
// line ending (LF or CRLF) and without a leading UTF-8 byte order mark. It
// stops at the first error fn returns; read errors are wrapped with name.
func eachLine(r io.Reader, name string, fn func(line string, n int) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if line == "" && err == io.EOF {
			return nil
		}
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
