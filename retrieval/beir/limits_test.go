package beir

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/rrra/rrra/internal/testenv"
)

// readWith runs one reader over r, named name.
type limitReader struct {
	name string
	read func(r io.Reader, name string, opts Options) (kept int, st *Stats, err error)
	// head opens the line that is too long, after two good lines; good is
	// one good line.
	head, good string
}

func limitReaders() []limitReader {
	return []limitReader{
		{"corpus.jsonl", func(r io.Reader, name string, opts Options) (int, *Stats, error) {
			c, st, err := ReadCorpus(r, name, opts)
			if c == nil {
				return 0, st, err
			}
			return c.Len(), st, err
		}, `{"_id":"d1","text":"a"}` + "\n" + `{"_id":"d2","text":"b"}` + "\n" + `{"_id":"d3","text":"`, `{"_id":"d9","text":"z"}`},
		{"queries.jsonl", func(r io.Reader, name string, opts Options) (int, *Stats, error) {
			q, st, err := ReadQueries(r, name, opts)
			if q == nil {
				return 0, st, err
			}
			return q.Len(), st, err
		}, `{"_id":"q1","text":"a"}` + "\n" + `{"_id":"q2","text":"b"}` + "\n" + `{"_id":"q3","text":"`, `{"_id":"q9","text":"z"}`},
		{"train.jsonl", func(r io.Reader, name string, opts Options) (int, *Stats, error) {
			ex, st, err := ReadTrainExamples(r, name, opts)
			return len(ex), st, err
		}, trainLine("q1") + "\n" + trainLine("q2") + "\n" + `{"query_id":"q3","query":"`, trainLine("q9")},
		{"rows.jsonl", func(r io.Reader, name string, opts Options) (int, *Stats, error) {
			n := 0
			_, err := ReadTextRows(r, name, 4, func(texts []string) error { n += len(texts); return nil })
			return n, &Stats{}, err
		}, `{"text":"a"}` + "\n" + `{"text":"b"}` + "\n" + `{"text":"`, `{"text":"z"}`},
	}
}

func trainLine(qid string) string {
	return fmt.Sprintf(`{"query_id":%q,"query":"a query","positive_passages":[{"docid":"d1","text":"a"}],"negative_passages":[]}`, qid)
}

// TestLineWithoutEnd feeds every JSONL reader (corpus, queries, Tevatron
// training examples, ReadTextRows) two good lines and then a line that
// never ends: each must fail with "FILE:3: line longer than", having read
// no more than MaxLineBytes and its 1 MiB block of reading ahead (and a
// little slack), and having allocated no more than 3 × MaxLineBytes in
// all (its buffers double up to the limit and a block).
func TestLineWithoutEnd(t *testing.T) {
	for _, rd := range limitReaders() {
		for _, p := range parsers(t) {
			s := &testenv.LineStream{Head: rd.head, Fill: 'x', N: -1, Limit: MaxLineBytes + 4<<20}
			var err error
			alloc := allocated(func() { _, _, err = rd.read(s, rd.name, Options{Parser: p}) })
			if s.Served > MaxLineBytes+3<<20 {
				t.Errorf("%s/%v: read %d bytes of a line without end", rd.name, p, s.Served)
			}
			if alloc > 3*MaxLineBytes+8<<20 {
				t.Errorf("%s/%v: allocated %d MiB reading a line without end", rd.name, p, alloc>>20)
			}
			if want := rd.name + ":3: line longer than the 67108864-byte limit"; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s/%v: error %v, want one containing %q", rd.name, p, err, want)
			}
		}
	}
}

// TestLongLineThatEnds feeds every JSONL reader two good lines, a long
// line that does end, and a good line. A line of exactly MaxLineBytes is
// read; one byte more, or twice the limit, is an error at line 3, or,
// skipping bad lines (ReadTextRows has no such option), counted as skipped
// with the other lines kept; refusing or reading past a long line holds
// none of it beyond the limit (allocations under 3 × MaxLineBytes).
func TestLongLineThatEnds(t *testing.T) {
	const ok, fails, skipped = 0, 1, 2
	for _, rd := range limitReaders() {
		for _, p := range parsers(t) {
			// The long line: head's last line, fill, and the rest of a row.
			close := `"}`
			if rd.name == "train.jsonl" {
				close = `","positive_passages":[{"docid":"d1"}]}`
			}
			open := int64(len(rd.head) - strings.LastIndexByte(rd.head, '\n') - 1)
			for _, c := range []struct {
				extra int64 // bytes over the limit
				skip  bool
				want  int
			}{{0, false, ok}, {1, false, fails}, {1, true, skipped}, {MaxLineBytes, true, skipped}, {MaxLineBytes, false, fails}} {
				if c.skip && rd.name == "rows.jsonl" {
					continue
				}
				n := MaxLineBytes - open - int64(len(close)) + c.extra
				s := &testenv.LineStream{Head: rd.head, Fill: 'x', N: n, Tail: close + "\n" + rd.good + "\n", Limit: 3 * MaxLineBytes}
				var (
					kept int
					st   *Stats
					err  error
				)
				alloc := allocated(func() { kept, st, err = rd.read(s, rd.name, Options{Parser: p, SkipBadLines: c.skip}) })
				if c.want != ok && alloc > 3*MaxLineBytes+8<<20 {
					t.Errorf("%s/%v: a line %d bytes over the limit: allocated %d MiB", rd.name, p, c.extra, alloc>>20)
				}
				what := fmt.Sprintf("%s/%v: a line %d bytes over the limit (skipping %v)", rd.name, p, c.extra, c.skip)
				switch c.want {
				case ok:
					if err != nil || kept != 4 {
						t.Errorf("%s: %v, %d kept", what, err, kept)
					}
				case skipped:
					if err != nil || kept != 3 || st.Skipped["line too long"] != 1 || st.Lines != 4 {
						t.Errorf("%s: %v, %d kept, %+v", what, err, kept, st)
					}
				default:
					if want := rd.name + ":3: line longer than the 67108864-byte limit"; err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("%s: error %v, want one containing %q", what, err, want)
					}
				}
			}
		}
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}
