package beir

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// ReadTextRows reads JSONL rows with "text" (and optional "title") and calls
// flush with up to batch texts at a time; it returns the number of rows.
// A row's text is "title text" when it has a non-empty title (BEIR's
// convention for dense models). Errors name the file, the line and the
// field.
func ReadTextRows(r io.Reader, name string, batch int, flush func([]string) error) (int, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	texts := make([]string, 0, batch)
	rows := 0
	for line := 1; ; line++ {
		raw, err := br.ReadBytes('\n')
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
