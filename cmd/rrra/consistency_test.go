package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/tensor"
)

// Inputs that are valid one by one but do not belong together, and other
// inputs that used to give a wrong answer with exit 0 or fail late: each
// case must exit 1 with a message naming the file (or flag) and what does
// not agree, and must leave no output behind (issue 18, classes 1, 2, 6
// and 7).

// consistencyEnv is a scratch copy of the base collection and the tiny
// model, which a case edits.
type consistencyEnv struct {
	dir, data, model string
}

func newConsistencyEnv(t *testing.T) *consistencyEnv {
	t.Helper()
	e := &consistencyEnv{dir: t.TempDir()}
	e.data, e.model = filepath.Join(e.dir, "data"), filepath.Join(e.dir, "model")
	copyFiles(t, filepath.Join("testdata", "bad", "base"), e.data)
	copyFiles(t, tinyModel, e.model)
	return e
}

// mustRun runs rrra and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCatching(append(args, "--quiet"))
	if code != 0 {
		t.Fatalf("rrra %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// mustFail runs rrra, which must exit 1 with every one of want in its
// message, and must not create out (when not "").
func mustFail(t *testing.T, out string, want []string, args ...string) {
	t.Helper()
	code, _, stderr := runCatching(append(args, "--quiet"))
	if code != 1 {
		t.Fatalf("rrra %s: exit %d, want 1\n%s", strings.Join(args, " "), code, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("rrra %s: message does not contain %q:\n%s", strings.Join(args, " "), w, stderr)
		}
	}
	if out != "" {
		if _, err := os.Stat(out); err == nil {
			t.Errorf("rrra %s left %s behind", strings.Join(args, " "), out)
		}
	}
}

// TestTowersOfDifferentWidths: a bi-encoder folder whose query and document
// towers have different hidden sizes would score inner products of
// vectors of different lengths; it is refused on load, naming both towers.
func TestTowersOfDifferentWidths(t *testing.T) {
	e := newConsistencyEnv(t)
	q, _, err := nn.LoadModel(tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	bi := filepath.Join(e.dir, "bi")
	if err := q.Save(filepath.Join(bi, "query")); err != nil {
		t.Fatal(err)
	}
	narrow := q.Bert.Config
	narrow.HiddenSize, narrow.IntermediateSize = 16, 32
	db, err := nn.NewBert(narrow, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&nn.Model{Bert: db, Vocab: q.Vocab, Lower: q.Lower}).Save(filepath.Join(bi, "document")); err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(map[string]any{"shared": false, "pooling": "cls", "normalize": false, "temperature": 0})
	if err := os.WriteFile(filepath.Join(bi, nn.BiEncoderFile), meta, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(e.dir, "run.trec")
	mustFail(t, out, []string{bi, "query/config.json", "hidden_size 32", "document/config.json", "16"},
		"search", "--data", e.data, "--method", "dense", "--model", bi, "--out", out)
}

// TestBiEncoderTemperatureDomain: a temperature outside its domain in
// rrra_biencoder.json (negative, zero is the default, tiny, huge) is
// refused on load, naming the file and the field.
func TestBiEncoderTemperatureDomain(t *testing.T) {
	for _, temp := range []string{"-0.05", "1e-9", "1e9"} {
		t.Run(temp, func(t *testing.T) {
			e := newConsistencyEnv(t)
			path := filepath.Join(e.model, nn.BiEncoderFile)
			if err := os.WriteFile(path, []byte(`{"shared": true, "pooling": "cls", "normalize": true, "temperature": `+temp+"}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(e.dir, "x.npy")
			mustFail(t, out, []string{path, "field temperature", "outside its domain"},
				"encode", "--model", e.model, "--input", filepath.Join(e.data, "corpus.jsonl"), "--out", out)
		})
	}
}

// TestIndexOfAnotherModel: an index encoded by another model of the same
// dimension (here the tiny model with one weight changed) is refused by
// search, which used to rank with it silently.
func TestIndexOfAnotherModel(t *testing.T) {
	e := newConsistencyEnv(t)
	other := filepath.Join(e.dir, "other")
	copyFiles(t, tinyModel, other)
	w := filepath.Join(other, "model.safetensors")
	b, err := os.ReadFile(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w, setFloat("bert.embeddings.LayerNorm.bias", 0, 0.5)(t, b), 0o644); err != nil {
		t.Fatal(err)
	}
	ix := filepath.Join(e.dir, "other.idx")
	mustRun(t, "index", "--data", e.data, "--model", other, "--out", ix)
	out := filepath.Join(e.dir, "run.trec")
	mustFail(t, out, []string{ix, "encoded by another model", "rrra index"},
		"search", "--data", e.data, "--method", "dense", "--model", e.model, "--index", ix, "--out", out)
	// The model that made it searches it.
	mustRun(t, "search", "--data", e.data, "--method", "dense", "--model", other, "--index", ix, "--out", out)
}

// TestIndexOfOtherTexts: an index built from a corpus whose ids are the
// same but whose texts changed is refused.
func TestIndexOfOtherTexts(t *testing.T) {
	e := newConsistencyEnv(t)
	ix := filepath.Join(e.dir, "x.idx")
	mustRun(t, "index", "--data", e.data, "--model", e.model, "--out", ix)
	corpus := filepath.Join(e.data, "corpus.jsonl")
	b, err := os.ReadFile(corpus)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corpus, []byte(strings.Replace(string(b), "heat transfer", "mass transfer", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(e.dir, "run.trec")
	mustFail(t, out, []string{ix, "built from other document texts"},
		"search", "--data", e.data, "--method", "dense", "--model", e.model, "--index", ix, "--out", out)
}

// TestIndexVectorsNonFinite: NaN or ±Inf in index --vectors is refused,
// naming the row, the document and the column.
func TestIndexVectorsNonFinite(t *testing.T) {
	for _, x := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		e := newConsistencyEnv(t)
		v := tensor.New(tensor.S(3, 4))
		for i := range v.Data {
			v.Data[i] = 0.25
		}
		v.Data[1*4+2] = x
		npy := filepath.Join(e.dir, "v.npy")
		if err := tensor.WriteNpyFile(npy, v); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(e.dir, "v.idx")
		mustFail(t, out, []string{npy, `row 1 (document "d2"), column 2`},
			"index", "--data", e.data, "--vectors", npy, "--out", out)
	}
}

// TestSearchRerankAdapterOfAnotherWidth: adapters fitted for another
// vector width are refused before the corpus is encoded.
func TestSearchRerankAdapterOfAnotherWidth(t *testing.T) {
	e := newConsistencyEnv(t)
	a, err := adapter.New(adapter.DefaultConfig(16), 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.model, adapter.File)
	if err := adapter.Save(path, []*adapter.Adapter{a}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(e.dir, "run.trec")
	mustFail(t, out, []string{path, "dimension 16", "gives 32"},
		"search", "--data", e.data, "--method", "dense", "--model", e.model, "--rerank", "0.25", "--out", out)
}

// TestSearchIDsWithSpaces: a document id a TREC run cannot hold is refused
// before any search, naming the file and the id. (Query ids with white
// space cannot reach search: the qrels reader refuses them by line.)
func TestSearchIDsWithSpaces(t *testing.T) {
	e := newConsistencyEnv(t)
	path := filepath.Join(e.data, "corpus.jsonl")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"_id": "d2"`) {
		t.Fatalf("%s has no d2", path)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), `"_id": "d2"`, `"_id": "d 2"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(e.dir, "run.trec")
	mustFail(t, out, []string{path, `document 2 has the id "d 2"`, "TREC run"}, "search", "--data", e.data, "--method", "bm25", "--out", out)
}

// TestSearchSummaryCountsEveryJudgedQuery: a judged query that gets no
// result counts 0 in search's printed figures, as trec_eval -c counts it,
// and the summary says so.
func TestSearchSummaryCountsEveryJudgedQuery(t *testing.T) {
	e := newConsistencyEnv(t)
	if err := os.WriteFile(filepath.Join(e.data, "queries.jsonl"), []byte(`{"_id": "q1", "text": "wing lift"}`+"\n"+`{"_id": "q2", "text": "zzzz qqqq"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.data, "qrels", "test.tsv"), []byte("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(e.dir, "run.trec")
	stdout := mustRun(t, "search", "--data", e.data, "--method", "bm25", "--out", out, "--json")
	var s map[string]any
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	// q1 finds d1 first (nDCG 1); q2 matches nothing (0): 0.5 over 2, not 1 over 1.
	if s["ndcg_cut_10"] != 0.5 || s["judged_queries"] != 2.0 || s["queries_without_results"] != 1.0 || !strings.Contains(s["convention"].(string), "trec_eval -c") {
		t.Errorf("summary %v; want nDCG@10 0.5 over 2 judged queries, 1 without results, the convention named", s)
	}
}

// TestTrainResumeAgainstAnotherCollection: a checkpoint resumed against a
// collection with the same shapes but another text is refused before any
// step, naming the checkpoint; the model folder is not written.
func TestTrainResumeAgainstAnotherCollection(t *testing.T) {
	e := newConsistencyEnv(t)
	ckpt := filepath.Join(e.dir, "ckpt.safetensors")
	out := filepath.Join(e.dir, "m1")
	train := []string{"train", "--data", e.data, "--split", "test", "--dev-frac", "0", "--config", "mini", "--vocab-size", "60",
		"--steps", "2", "--batch", "1", "--checkpoint", ckpt, "--sampler", "random"}
	mustRun(t, append(train, "--out", out)...)
	corpus := filepath.Join(e.data, "corpus.jsonl")
	b, err := os.ReadFile(corpus)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corpus, []byte(strings.Replace(string(b), "hypersonic", "supersonic", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(e.dir, "m2")
	mustFail(t, out2, []string{ckpt, "other training data"}, append(train, "--out", out2)...)
}

// TestUnusableOutputFailsFirst: an --out that cannot be written is found
// before any input is read (it used to surface after training).
func TestUnusableOutputFailsFirst(t *testing.T) {
	e := newConsistencyEnv(t)
	file := filepath.Join(e.dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", "/nonexistent", "--out", file}, "is a file, not a folder"},
		{[]string{"train", "--data", "/nonexistent", "--out", filepath.Join(e.dir, "m"), "--history", filepath.Join(file, "h.json")}, "is not a folder"},
		{[]string{"search", "--data", "/nonexistent", "--method", "bm25", "--out", e.dir}, "is a folder; want a file name"},
		{[]string{"search", "--data", "/nonexistent", "--method", "bm25", "--out", filepath.Join(e.dir, "no", "such", "run.trec")}, "does not exist"},
		{[]string{"index", "--data", "/nonexistent", "--model", e.model, "--out", "/proc/x.idx"}, "cannot write in /proc"},
		{[]string{"audit", "--data", "/nonexistent", "--model", e.model, "--out", filepath.Join(e.dir, "a.jsonl"), "--html", e.dir}, "--html"},
		{[]string{"demo", "--out", "/proc/rrra-demo"}, "cannot write in /proc"},
	} {
		code, _, stderr := runCatching(append(c.args, "--quiet"))
		if code != 1 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "/nonexistent") {
			t.Errorf("rrra %s: exit %d, want 1 and %q before the data is read:\n%s", strings.Join(c.args, " "), code, c.want, stderr)
		}
	}
}
