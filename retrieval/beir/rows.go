package beir

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxLineBytes bounds a line of the JSONL files the readers read (corpus,
// queries, Tevatron training examples, ReadTextRows), its line break
// excluded. A reader holds one line at a time, plus at most a block of
// reading ahead (1 MiB), so a file without line breaks fails with "line
// longer than" instead of growing a buffer until memory runs out. 64 MiB
// is generous for a document (the longest of the BEIR collections are
// hundreds of kilobytes) and for a training example with its passages,
// while bounding what one line of a small or compressed file can make a
// reader hold.
const MaxLineBytes = 64 << 20

// errLineTooLong reports a line over a reader's limit of max bytes.
func errLineTooLong(max int) error {
	return fmt.Errorf("line longer than the %d-byte limit", max)
}

// A lineReader reads lines of at most max bytes (line break excluded)
// into a buffer it reuses, never holding more than max bytes of a line
// plus what its bufio.Reader holds.
type lineReader struct {
	br   *bufio.Reader
	max  int
	buf  []byte
	rest bool // next found a line too long before reading its end
}

// newLineReader reads r in chunks of 1 MiB.
func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 1<<20), max: max}
}

// next returns the next line with its "\n", as bufio.Reader.ReadBytes does
// (without one at the end of the input), and the error that ended it: nil,
// io.EOF for the last line (which may be empty: the end of the input), a
// read error, or, for a line longer than the limit, errTooLong, after
// which skip may move past the rest of the line. The line is valid until
// the next call.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	for {
		frag, err := l.br.ReadSlice('\n')
		n := len(frag)
		if n > 0 && frag[n-1] == '\n' {
			n--
		}
		if len(l.buf)+n > l.max {
			l.rest = errors.Is(err, bufio.ErrBufferFull)
			return nil, errTooLong
		}
		if need := len(l.buf) + len(frag); need > cap(l.buf) {
			// Grow by doubling, but never past the limit and a line break.
			nb := make([]byte, len(l.buf), min(max(2*cap(l.buf), need), l.max+1))
			copy(nb, l.buf)
			l.buf = nb
		}
		l.buf = append(l.buf, frag...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return l.buf, err
		}
	}
}

// errTooLong is what lineReader.next returns for a line over its limit.
var errTooLong = errors.New("line too long")

// skip reads past the rest of a line that next found too long, holding
// none of it; it returns io.EOF when the input ends first.
func (l *lineReader) skip() error {
	if !l.rest {
		return nil
	}
	l.rest = false
	for {
		_, err := l.br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// ReadTextRows reads JSONL rows with "text" (and optional "title") and calls
// flush with up to batch texts at a time; it returns the number of rows.
// A row's text is "title text" when it has a non-empty title (BEIR's
// convention for dense models). Errors name the file, the line and the
// field; a line may hold at most MaxLineBytes.
func ReadTextRows(r io.Reader, name string, batch int, flush func([]string) error) (int, error) {
	r, err := skipBOM(r, name)
	if err != nil {
		return 0, err
	}
	lr := newLineReader(r, MaxLineBytes)
	texts := make([]string, 0, batch)
	rows := 0
	for line := 1; ; line++ {
		raw, err := lr.next()
		if err == errTooLong {
			return rows, &LineError{File: name, Line: line, Err: errLineTooLong(MaxLineBytes)}
		}
		if len(raw) == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return rows, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if !utf8.Valid(raw) {
			return rows, fmt.Errorf("%s:%d: not valid UTF-8", name, line)
		}
		var row struct {
			Text  *string `json:"text"`
			Title *string `json:"title"`
		}
		if err := json.Unmarshal(raw, &row); err != nil {
			return rows, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if row.Text == nil {
			return rows, fmt.Errorf("%s:%d: field text is missing", name, line)
		}
		text := *row.Text
		if row.Title != nil && *row.Title != "" {
			text = *row.Title + " " + text
		}
		texts = append(texts, text)
		rows++
		if len(texts) == batch {
			if err := flush(texts); err != nil {
				return rows, err
			}
			texts = texts[:0]
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(texts) > 0 {
		if err := flush(texts); err != nil {
			return rows, err
		}
	}
	return rows, nil
}
