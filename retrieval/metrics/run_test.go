package metrics

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestReadRun(t *testing.T) {
	in := "\ufeffq1 Q0 d1 1 2.5 tag\r\n" +
		"\n" +
		"q1\tQ0  d2 2 -1e-3 tag\n" +
		"q2 Q0 d1 7 Inf other\n" +
		"q1 x d3 3 1e400 tag" // no final newline; an out-of-range score is +Inf
	got, err := ReadRun(strings.NewReader(in), "r.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := Run{
		"q1": {{"d1", 2.5}, {"d2", -0.001}, {"d3", math.Inf(1)}},
		"q2": {{"d1", math.Inf(1)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	run, lines, err := ReadRunLines(strings.NewReader(in), "r.txt")
	if err != nil || !reflect.DeepEqual(run, want) {
		t.Fatalf("ReadRunLines: %v, %v", run, err)
	}
	if wantLines := map[string][]int{"q1": {1, 3, 5}, "q2": {4}}; !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("ReadRunLines: lines %v, want %v", lines, wantLines)
	}
}

func TestReadRunErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		line  int
		field string
		msg   string
	}{
		{"too few fields", "q1 Q0 d1 1 2.5 t\nq1 Q0 d2 2 1.5\n", 2, "", "want 6 fields"},
		{"too many fields", "q1 Q0 d1 1 2.5 t extra\n", 1, "", "got 7"},
		{"rank", "\nq1 Q0 d1 first 2.5 t\n", 2, "rank", `not an integer: "first"`},
		{"score", "q1 Q0 d1 1 high t\n", 1, "score", `not a number: "high"`},
		{"NaN score", "q1 Q0 d1 1 NaN t\n", 1, "score", `not a number: "NaN"`},
		{"duplicate", "q1 Q0 d1 1 2 t\nq2 Q0 d1 1 2 t\nq1 Q0 d1 2 1 t\n", 3, "docid", `document "d1" listed twice for query "q1" (first on line 1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadRun(strings.NewReader(tt.in), "runs/x.run")
			checkLineError(t, err, "runs/x.run", tt.line, tt.field, tt.msg)
		})
	}
}

// checkLineError checks that err is a *LineError for file, line and field,
// that its message names all three, and that it contains msg.
func checkLineError(t *testing.T, err error, file string, line int, field, msg string) {
	t.Helper()
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T), want a *LineError", err, err)
	}
	if le.File != file || le.Line != line || le.Field != field {
		t.Errorf("error at %s:%d field %q, want %s:%d field %q", le.File, le.Line, le.Field, file, line, field)
	}
	prefix := file + ":" + strconv.Itoa(line) + ": "
	if field != "" {
		prefix += "field " + field + ": "
	}
	if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q, want prefix %q and %q", err, prefix, msg)
	}
}

func TestWriteRun(t *testing.T) {
	run := Run{
		"b":  {{"x", 1}},
		"10": {{"d1", 0.5}, {"d2", 0.25}},
		"a":  {{"x", 1}},
		"2": {
			{"10", 1.0 / 3}, // ties with "9" and "b" after rounding to float32
			{"9", float64(float32(1.0 / 3))},
			{"b", 1.0/3 + 1e-12},
			{"top", 1e20},
			{"low", -0.1},
		},
	}
	var buf bytes.Buffer
	if err := WriteRun(&buf, run, "myrun"); err != nil {
		t.Fatal(err)
	}
	want := `2 Q0 top 1 1e+20 myrun
2 Q0 b 2 0.33333334 myrun
2 Q0 9 3 0.33333334 myrun
2 Q0 10 4 0.33333334 myrun
2 Q0 low 5 -0.1 myrun
10 Q0 d1 1 0.5 myrun
10 Q0 d2 2 0.25 myrun
a Q0 x 1 1 myrun
b Q0 x 1 1 myrun
`
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestWriteRunRoundTrip checks that scores read back to the float32 values
// written, that the ranking of the scores read back is that of the float32
// scores, and that the ranks in the file are that ranking.
func TestWriteRunRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	run := Run{}
	for q := range 30 {
		qid := strconv.Itoa(q)
		for d := range 50 {
			s := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
			if rng.IntN(5) == 0 {
				s = float64(rng.IntN(3)) // ties
			}
			run[qid] = append(run[qid], Result{"d" + strconv.Itoa(d), s})
		}
	}
	var buf bytes.Buffer
	if err := WriteRun(&buf, run, "t"); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRun(bytes.NewReader(buf.Bytes()), "round trip")
	if err != nil {
		t.Fatal(err)
	}
	for qid, rs := range run {
		want := make([]Result, len(rs))
		for i, r := range rs {
			want[i] = Result{r.DocID, float64(float32(r.Score))}
		}
		want = ranked(want)
		got := back[qid]
		if len(got) != len(want) {
			t.Fatalf("query %s: read back %d results, wrote %d", qid, len(got), len(want))
		}
		for i := range got {
			if got[i].DocID != want[i].DocID || float32(got[i].Score) != float32(want[i].Score) {
				t.Fatalf("query %s, rank %d: read back %v, want %v as float32", qid, i+1, got[i], want[i])
			}
		}
		if !reflect.DeepEqual(got, ranked(got)) {
			t.Fatalf("query %s: the scores read back rank differently from the file", qid)
		}
		// The file lists each query in trec_eval's order.
		if !reflect.DeepEqual(back[qid], ranked(back[qid])) {
			t.Fatalf("query %s: file order is not the ranking order", qid)
		}
	}
}

func TestWriteRunErrors(t *testing.T) {
	tests := []struct {
		name string
		run  Run
		tag  string
		want string
	}{
		{"empty tag", Run{"q": {{"d", 1}}}, "", "bad tag"},
		{"tag with space", Run{"q": {{"d", 1}}}, "my run", "bad tag"},
		{"query id with space", Run{"q 1": {{"d", 1}}}, "t", `bad query id "q 1"`},
		{"empty doc id", Run{"q": {{"", 1}}}, "t", `bad document id ""`},
		{"doc id with tab", Run{"q": {{"a\tb", 1}}}, "t", "bad document id"},
		{"duplicate", Run{"q": {{"d", 1}, {"e", 3}, {"d", 2}}}, "t", `document "d" listed twice`},
		{"NaN", Run{"q": {{"d", math.NaN()}}}, "t", "NaN score"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteRun(&buf, tt.run, tt.tag)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

func TestCompareQueryIDs(t *testing.T) {
	ids := []string{"b", "10", "2", "A", "007", "7", "1", "q10", "q9", ""}
	m := map[string]int{}
	for _, id := range ids {
		m[id] = 0
	}
	want := []string{"1", "2", "007", "7", "10", "", "A", "b", "q10", "q9"}
	if got := sortedQueryIDs(m); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestCandidates: a run's results as document numbers in trec_eval's
// order (score, then the greater id first), and an unknown document
// refused with its line.
func TestCandidates(t *testing.T) {
	in := "q1 Q0 a 1 1.0 x\nq1 Q0 c 2 3.0 x\nq1 Q0 b 3 3.0 x\nq2 Q0 zz 1 9 x\n"
	run, lines, err := ReadRunLines(strings.NewReader(in), "r.trec")
	if err != nil {
		t.Fatal(err)
	}
	num := map[string]int{"a": 0, "b": 1, "c": 2}
	lookup := func(id string) (int, bool) { n, ok := num[id]; return n, ok }
	got, err := Candidates(run, lines, "r.trec", []string{"q1"}, lookup)
	if err != nil || !reflect.DeepEqual(got, [][]int{{2, 1, 0}}) {
		t.Errorf("Candidates(q1) = %v, %v; want [[2 1 0]] (c and b tie at 3: c, the greater id, first)", got, err)
	}
	_, err = Candidates(run, lines, "r.trec", []string{"q1", "q2"}, lookup)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 4 || le.Field != "docid" || !strings.Contains(err.Error(), `"zz"`) {
		t.Errorf("unknown document: %v; want r.trec:4, field docid, naming zz", err)
	}
}
