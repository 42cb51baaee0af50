package beir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/minio/simdjson-go"
)

// Parser selects how JSON lines are parsed.
type Parser int

const (
	// ParserAuto uses simdjson-go where the CPU supports it, else encoding/json.
	ParserAuto Parser = iota
	// ParserSIMD uses simdjson-go; reading fails if the CPU does not support it.
	ParserSIMD
	// ParserStdlib uses encoding/json.
	ParserStdlib
)

// String returns the parser's name as the CLI spells it.
func (p Parser) String() string {
	switch p {
	case ParserAuto:
		return "auto"
	case ParserSIMD:
		return "simdjson"
	case ParserStdlib:
		return "stdlib"
	}
	return fmt.Sprintf("Parser(%d)", int(p))
}

// ParseParser maps a CLI name ("auto", "simdjson", "stdlib") to a Parser.
func ParseParser(s string) (Parser, error) {
	for _, p := range []Parser{ParserAuto, ParserSIMD, ParserStdlib} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("beir: unknown parser %q (want auto, simdjson or stdlib)", s)
}

// SIMDSupported reports whether simdjson-go can run on this CPU.
func SIMDSupported() bool { return simdjson.SupportedCPU() }

// Options control the readers.
type Options struct {
	Parser       Parser // which JSON parser; zero is ParserAuto
	SkipBadLines bool   // skip and count bad lines instead of failing
}

func (o *Options) useSIMD() (bool, error) {
	switch o.Parser {
	case ParserAuto:
		return simdjson.SupportedCPU(), nil
	case ParserSIMD:
		if !simdjson.SupportedCPU() {
			return false, errors.New("beir: simdjson-go is not supported on this CPU (it needs amd64 with AVX2 and CLMUL)")
		}
		return true, nil
	case ParserStdlib:
		return false, nil
	}
	return false, fmt.Errorf("beir: unknown parser %d", int(o.Parser))
}

// row holds the string fields of one JSON line that the readers use.
type row struct {
	line                     int
	id, title, text          string
	hasID, hasTitle, hasText bool
}

// blockSize is how many bytes of whole lines are parsed at a time. A line
// longer than this grows the buffer to hold it, up to MaxLineBytes and a
// block.
const blockSize = 1 << 20

// ReadMemory returns an upper bound on what ReadCorpus and ReadQueries
// hold, beyond the rows they return and beyond what reading a file of
// short lines holds (a 1 MiB block and simdjson's tape for it, about 5
// MiB, a fixed cost), while reading a file whose longest line is longest
// bytes (Stats.LongestLine). That is 0 when the longest line fits in a
// block; for a longer one, the block buffer, doubled from 1 MiB until it
// holds the line (at most MaxLineBytes and a block), the buffer it grew
// from, and the line's transient decoded copy: 150 MiB for a line of 50
// MB.
func ReadMemory(longest int) int64 {
	if longest < blockSize {
		return 0
	}
	buf := int64(blockSize)
	for buf <= int64(longest) && buf < MaxLineBytes+blockSize {
		buf = min(2*buf, MaxLineBytes+blockSize)
	}
	return buf + buf/2 + int64(min(longest, MaxLineBytes))
}

// span is one line of a block: bytes [start, end) and its line number.
type span struct{ start, end, line int }

// jsonlScanner reads JSON lines in blocks and hands each row to a callback.
type jsonlScanner struct {
	name    string
	simd    bool
	stats   *Stats
	opts    *Options
	maxLine int // the longest line, in bytes without its line break

	pj    *simdjson.ParsedJson
	spans []span
	rows  []row
}

// scanJSONL reads r (named name in errors) and calls fn for every non-blank
// line that is a JSON object whose "_id", "title" and "text" fields, where
// present, are strings. Other bad lines go through stats.bad, as does a
// line longer than MaxLineBytes: the buffer never grows past MaxLineBytes
// and a block, and a skipped long line is read past without being held.
func scanJSONL(r io.Reader, name string, opts *Options, stats *Stats, fn func(*row) error) error {
	simd, err := opts.useSIMD()
	if err != nil {
		return err
	}
	if r, err = skipBOM(r, name); err != nil {
		return err
	}
	s := &jsonlScanner{name: name, simd: simd, stats: stats, opts: opts, maxLine: MaxLineBytes}
	buf := make([]byte, blockSize)
	fill, line := 0, 1
	eof := false
	read := func() error {
		for !eof && fill < len(buf) {
			n, err := r.Read(buf[fill:])
			fill += n
			if err == io.EOF {
				eof = true
			} else if err != nil {
				return fmt.Errorf("%s:%d: %w", name, line, err)
			}
		}
		return nil
	}
	for {
		if err := read(); err != nil {
			return err
		}
		if eof && fill == 0 {
			return nil
		}
		cut := bytes.LastIndexByte(buf[:fill], '\n') + 1
		if eof {
			cut = fill
		}
		if cut == 0 { // part of one line, which fills the buffer
			if fill <= s.maxLine {
				nb := make([]byte, min(2*len(buf), s.maxLine+blockSize))
				copy(nb, buf[:fill])
				buf = nb
				continue
			}
			// Longer than the limit: fail, or skip to the line's end.
			stats.Lines++
			stats.LongestLine = max(stats.LongestLine, s.maxLine+1)
			if err := stats.bad(opts, "line too long", s.lineError(line, "", errLineTooLong(s.maxLine))); err != nil {
				return err
			}
			for {
				fill = 0
				if err := read(); err != nil {
					return err
				}
				if i := bytes.IndexByte(buf[:fill], '\n'); i >= 0 {
					fill = copy(buf, buf[i+1:fill])
					break
				}
				if eof {
					return nil
				}
			}
			line++
			continue
		}
		next, err := s.block(buf[:cut], line, fn)
		if err != nil {
			return err
		}
		line = next
		fill = copy(buf, buf[cut:fill])
	}
}

// block parses whole lines starting at line number first and returns the
// number of the line after them.
func (s *jsonlScanner) block(b []byte, first int, fn func(*row) error) (int, error) {
	s.spans = s.spans[:0]
	line := first
	// simdjson-go skips white space that JSON does not have (a form feed
	// or vertical tab before a line's value); a block with such a line
	// goes to encoding/json, which rejects it as the JSON it is not.
	oddSpace := false
	// A line longer than a block also goes to the line-by-line path: for
	// one line of tens of megabytes simdjson's tape and string copies take
	// about 3.4 times the line, encoding/json's about 1.5 times, for little
	// time on a line that long. (A line over the limit, which fits in a
	// block of MaxLineBytes and more, is reported there.)
	long := false
	for start := 0; start < len(b); line++ {
		end := bytes.IndexByte(b[start:], '\n')
		next := start + end + 1
		if end < 0 {
			end, next = len(b)-start, len(b)
		}
		s.stats.Lines++
		s.stats.LongestLine = max(s.stats.LongestLine, min(end, s.maxLine+1))
		long = long || end > blockSize
		if end > s.maxLine {
			s.spans = append(s.spans, span{start, start + end, line})
		} else if t := bytes.TrimSpace(b[start : start+end]); len(t) > 0 {
			s.spans = append(s.spans, span{start, start + end, line})
			oddSpace = oddSpace || len(bytes.Trim(b[start:start+end], " \t\r")) != len(t)
		}
		start = next
	}
	if s.simd && !oddSpace && !long && utf8.Valid(b) && validEscapes(b) && s.blockSIMD(b) {
		for i := range s.rows {
			if err := fn(&s.rows[i]); err != nil {
				return 0, err
			}
		}
		return line, nil
	}
	// encoding/json, line by line: also the path that finds the exact line
	// and message when simdjson rejects a block.
	for _, sp := range s.spans {
		var r row
		var lerr *LineError
		if sp.end-sp.start > s.maxLine {
			lerr = s.lineError(sp.line, "", errLineTooLong(s.maxLine))
		} else {
			r, lerr = s.lineStdlib(b[sp.start:sp.end], sp.line)
		}
		if lerr != nil {
			if err := s.stats.bad(s.opts, reasonOf(lerr), lerr); err != nil {
				return 0, err
			}
			continue
		}
		if err := fn(&r); err != nil {
			return 0, err
		}
	}
	return line, nil
}

// stdRow is what encoding/json decodes a line into; nil means absent or null.
type stdRow struct {
	ID    *string `json:"_id"`
	Title *string `json:"title"`
	Text  *string `json:"text"`
}

func (s *jsonlScanner) lineStdlib(b []byte, line int) (row, *LineError) {
	if !utf8.Valid(b) {
		off := 0
		for off < len(b) {
			r, size := utf8.DecodeRune(b[off:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			off += size
		}
		return row{}, s.lineError(line, "", fmt.Errorf("invalid UTF-8 at byte %d of the line", off+1))
	}
	var v stdRow
	if err := json.Unmarshal(b, &v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return row{}, s.lineError(line, "", fmt.Errorf("not a JSON object (have %s)", te.Value))
			}
			return row{}, s.lineError(line, te.Field, fmt.Errorf("want a string, have %s", te.Value))
		}
		return row{}, s.lineError(line, "", fmt.Errorf("invalid JSON: %v", err))
	}
	r := row{line: line}
	if v.ID != nil {
		r.id, r.hasID = *v.ID, true
	}
	if v.Title != nil {
		r.title, r.hasTitle = *v.Title, true
	}
	if v.Text != nil {
		r.text, r.hasText = *v.Text, true
	}
	return r, nil
}

func (s *jsonlScanner) lineError(line int, field string, err error) *LineError {
	return &LineError{File: s.name, Line: line, Field: field, Err: err}
}

// blockSIMD parses a block of valid UTF-8 with simdjson-go into s.rows. It
// returns false, leaving the block to encoding/json, when simdjson rejects
// it, when the number of values differs from the number of non-blank lines,
// or when a line is not an object or has a field of the wrong type: the
// line-by-line path then reports or skips exactly the bad lines.
func (s *jsonlScanner) blockSIMD(b []byte) bool {
	s.rows = s.rows[:0]
	if len(s.spans) == 0 {
		return true
	}
	pj, err := simdjson.ParseND(b, s.pj, simdjson.WithCopyStrings(false))
	if err != nil {
		return false
	}
	s.pj = pj
	var (
		obj  simdjson.Object
		elem simdjson.Iter
	)
	i := 0
	ok := true
	err = pj.ForEach(func(it simdjson.Iter) error {
		if i >= len(s.spans) || it.Type() != simdjson.TypeObject {
			ok = false
			return errStop
		}
		o, err := it.Object(&obj)
		if err != nil {
			ok = false
			return errStop
		}
		r := row{line: s.spans[i].line}
		for {
			name, t, err := o.NextElementBytes(&elem)
			if err != nil {
				ok = false
				return errStop
			}
			if t == simdjson.TypeNone {
				break
			}
			var dst *string
			var has *bool
			switch string(name) {
			case "_id":
				dst, has = &r.id, &r.hasID
			case "title":
				dst, has = &r.title, &r.hasTitle
			case "text":
				dst, has = &r.text, &r.hasText
			default:
				continue
			}
			switch t {
			case simdjson.TypeString:
				v, err := elem.String()
				if err != nil || !utf8.ValidString(v) {
					ok = false
					return errStop
				}
				*dst, *has = v, true
			case simdjson.TypeNull: // encoding/json leaves a null field unset
				*dst, *has = "", false
			default:
				ok = false
				return errStop
			}
		}
		s.rows = append(s.rows, r)
		i++
		return nil
	})
	if err != nil && err != errStop {
		return false
	}
	return ok && i == len(s.spans)
}

var errStop = errors.New("stop")

// validEscapes reports whether every backslash in b starts a JSON escape:
// \" \\ \/ \b \f \n \r \t, or \u and four hex digits. simdjson-go checks
// only the escapes of the strings it decodes, not of those in fields the
// readers skip; encoding/json checks them all. A backslash outside a
// string is a syntax error either way, so pairing them from the left is
// enough.
func validEscapes(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 {
			return true
		}
		if i+1 >= len(b) {
			return false
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			b = b[i+2:]
		case 'u':
			if i+6 > len(b) {
				return false
			}
			for _, c := range b[i+2 : i+6] {
				if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
					return false
				}
			}
			b = b[i+6:]
		default:
			return false
		}
	}
}

// reasonOf names the kind of a bad line for Stats.Skipped.
func reasonOf(err *LineError) string {
	switch {
	case err.Field != "":
		return "bad field " + err.Field
	default:
		msg := err.Err.Error()
		if strings.HasPrefix(msg, "line longer than") {
			return "line too long"
		}
		for _, p := range []string{"invalid UTF-8", "not a JSON object", "invalid JSON"} {
			if len(msg) >= len(p) && msg[:len(p)] == p {
				return p
			}
		}
		return msg
	}
}
