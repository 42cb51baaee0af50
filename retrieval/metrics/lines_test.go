package metrics

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/rrra/rrra/internal/testenv"
)

// TestLongLines feeds a run and a TREC qrels file a good line and then a
// long one: a line without end fails with "FILE:2: line longer than",
// having read no more than MaxLineBytes and 64 KiB of reading ahead (and
// a little slack) and allocated under 3 × MaxLineBytes; a line of one byte
// over the limit fails the same way, and one of exactly the limit is read.
func TestLongLines(t *testing.T) {
	readers := []struct {
		name       string
		read       func(r io.Reader, name string) (int, error)
		head, tail string
	}{
		{"run.trec", func(r io.Reader, name string) (int, error) {
			run, err := ReadRun(r, name)
			return len(run), err
		}, "q1 Q0 d1 1 2.5 tag\nq2 Q0 d", " 1 2.5 tag\n"},
		{"qrels.txt", func(r io.Reader, name string) (int, error) {
			q, err := ReadQrels(r, name)
			return len(q), err
		}, "q1 0 d1 1\nq2 0 d", " 1\n"},
	}
	for _, rd := range readers {
		open := int64(len(rd.head) - strings.LastIndexByte(rd.head, '\n') - 1)
		body := MaxLineBytes - open - int64(len(rd.tail)-1) // the longest line allowed
		for _, c := range []struct {
			what string
			n    int64
			ok   bool
		}{{"without end", -1, false}, {"one byte over", body + 1, false}, {"at the limit", body, true}} {
			s := &testenv.LineStream{Head: rd.head, Fill: 'x', N: c.n, Tail: rd.tail, Limit: MaxLineBytes + 4<<20}
			var (
				kept int
				err  error
			)
			alloc := allocated(func() { kept, err = rd.read(s, rd.name) })
			if c.ok {
				if err != nil || kept != 2 {
					t.Errorf("%s, a line %s: %v, %d queries", rd.name, c.what, err, kept)
				}
				continue
			}
			if s.Served > MaxLineBytes+1<<20 {
				t.Errorf("%s, a line %s: read %d bytes", rd.name, c.what, s.Served)
			}
			if alloc > 3*MaxLineBytes {
				t.Errorf("%s, a line %s: allocated %d MiB", rd.name, c.what, alloc>>20)
			}
			var le *LineError
			if want := rd.name + ":2: line longer than the 16777216-byte limit"; err == nil || !strings.Contains(err.Error(), want) || !errors.As(err, &le) {
				t.Errorf("%s, a line %s: error %v, want a *LineError containing %q", rd.name, c.what, err, want)
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
