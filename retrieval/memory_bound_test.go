package retrieval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/rrra/rrra/retrieval/beir"
)

// memChildEnv names the BEIR folder a child of TestMemoryBoundPathological
// indexes.
const memChildEnv = "RRRA_MEMORY_BOUND_CHILD"

// TestMemoryBoundPathological runs what `rrra index --max-memory` runs
// (the memory plan's checks around reading the corpus, loading the model
// and encoding every document with a document prompt, then saving the
// index) in a child process for each of three pathological corpora, and
// checks that the child's peak resident memory (VmHWM, with the Go
// runtime's default collector settings) stays under the bound its plan
// printed:
//
//   - three documents of 32 MB with titles: the tokenizer used to hold
//     each document whole (as runes, twice), reading held simdjson's
//     tape for each line, and the prompt copied the corpus;
//   - one document on a 60 MB line of \u escapes, which decode to a
//     third of the line: the reader's buffers are sized by the line, not
//     the text;
//   - 100,000 documents of one word: per-document overheads.
func TestMemoryBoundPathological(t *testing.T) {
	if dir := os.Getenv(memChildEnv); dir != "" {
		memoryBoundChild(t, dir)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads the peak resident memory from /proc/self/status")
	}
	if testing.Short() {
		t.Skip("writes 100 MB corpora and runs child processes: full suite only")
	}
	r := rand.New(rand.NewPCG(5, 6))
	words := strings.Fields("the quick brown fox jumps over lazy dog retrieval dense vector encoder café naïve Σίσυφος 中文 immunohistochemistry")
	text := func(size int) string {
		var b strings.Builder
		for b.Len() < size {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		return b.String()
	}
	corpora := []struct {
		name string
		docs func(w *bufio.Writer)
	}{
		{"three 32 MB documents", func(w *bufio.Writer) {
			for i := range 3 {
				writeDoc(w, fmt.Sprintf("d%d", i), "a title "+words[i], text(32<<20))
			}
		}},
		{"a 60 MB line of escapes", func(w *bufio.Writer) {
			fmt.Fprintf(w, `{"_id":"d0","text":"%s"}`+"\n", strings.Repeat(`\u00e9`, 60<<20/6))
			writeDoc(w, "d1", "", "a short document")
		}},
		{"100,000 one-word documents", func(w *bufio.Writer) {
			for i := range 100000 {
				writeDoc(w, fmt.Sprintf("d%d", i), "", words[i%len(words)])
			}
		}},
	}
	bound := regexp.MustCompile(`memory: estimated peak ([0-9.]+) MiB`)
	hwm := regexp.MustCompile(`VmHWM:\s+([0-9]+) kB`)
	for _, c := range corpora {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeBEIR(t, dir, c.docs)
			cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryBoundPathological$", "-test.v")
			cmd.Env = append(withoutEnv(os.Environ(), "GOGC", "GOMEMLIMIT", "GODEBUG"), memChildEnv+"="+dir)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			b, h := bound.FindAllSubmatch(out, -1), hwm.FindSubmatch(out)
			if b == nil || h == nil {
				t.Fatalf("the child printed no bound or no peak:\n%s", out)
			}
			est, _ := strconv.ParseFloat(string(b[len(b)-1][1]), 64)
			kb, _ := strconv.ParseFloat(string(h[1]), 64)
			peak := kb / 1024
			t.Logf("peak RSS %.1f MiB, bound %.1f MiB (%.2f)", peak, est, peak/est)
			if peak > est {
				t.Errorf("peak RSS %.1f MiB is over the printed bound %.1f MiB:\n%s", peak, est, out)
			}
		})
	}
}

// memoryBoundChild indexes the BEIR folder dir as rrra index does, with a
// document prompt, and prints its memory plan and its peak RSS.
func memoryBoundChild(t *testing.T, dir string) {
	plan, err := NewMemoryPlan(64<<30, "--max-memory", os.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	fsys, name, err := beir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.CorpusFile(fsys, name); err != nil {
		t.Fatal(err)
	}
	d, err := beir.Load(fsys, name, beir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Corpus(d); err != nil {
		t.Fatal(err)
	}
	enc, err := LoadEncoder("../nn/testdata/tinybert", EncoderOptions{QueryLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	enc.DocPrompt = "passage: "
	if err := plan.Dense(enc, d.Corpus.Len(), true); err != nil {
		t.Fatal(err)
	}
	ix, err := IndexCorpus(enc, NewCorpusData(d), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Save(filepath.Join(t.TempDir(), "c.idx")); err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM") {
			fmt.Println(l)
		}
	}
}

func writeDoc(w *bufio.Writer, id, title, text string) {
	b, _ := json.Marshal(map[string]string{"_id": id, "title": title, "text": text})
	w.Write(b)
	w.WriteByte('\n')
}

// writeBEIR writes a BEIR folder in dir: the corpus docs writes, a query
// and its judgment.
func writeBEIR(t *testing.T, dir string, docs func(w *bufio.Writer)) {
	f, err := os.Create(filepath.Join(dir, "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	docs(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "qrels"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"queries.jsonl":  `{"_id":"q1","text":"quick fox"}` + "\n",
		"qrels/test.tsv": "query-id\tcorpus-id\tscore\nq1\td0\t1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// withoutEnv returns env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
