package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
)

// The bad-input catalogue: every reader rrra has, fed malformed input
// through the subcommand that reads it. Each case must exit 1 (not 2, not a
// panic) with an error naming the file, the line or the tensor where the
// reader has one, and the field, and must leave no output behind.
//
// Text files are committed under testdata/bad/; binary ones (safetensors,
// index files) and oversized lines are made by the case's gen from a
// valid file, so that the table says exactly what is wrong with each.

// A badCase is one malformed input.
type badCase struct {
	name string
	// role says which file the input stands in for, and so which command
	// reads it (see badEnv.setup): a BEIR folder's corpus.jsonl,
	// queries.jsonl or qrels/test.tsv (rrra search --method bm25), a
	// Tevatron --train-file (rrra train), an eval --run or --qrels (rrra
	// eval), a model directory's config.json, vocab.txt or
	// model.safetensors (rrra encode), or an --index (rrra search --method
	// dense).
	role string
	// file is the input under testdata/bad/; gen, when set instead, makes
	// it from the valid file of its role.
	file string
	gen  func(t *testing.T, valid []byte) []byte
	// line and tensor are where the error must point: "PATH:line:" or
	// `tensor "name"`; zero and empty where the reader has no such place
	// (a JSON config, a missing token, a section of a binary file).
	line   int
	tensor string
	field  string // what the error must name as at fault
}

// Roles and the commands that read them.
const (
	roleCorpus  = "corpus.jsonl"
	roleQueries = "queries.jsonl"
	roleQrels   = "qrels/test.tsv"
	roleTrain   = "train-file"
	roleRun     = "eval-run"
	roleEvalQ   = "eval-qrels"
	roleConfig  = "config.json"
	roleVocab   = "vocab.txt"
	roleWeights = "model.safetensors"
	roleIndex   = "index"
)

func badCases() []badCase {
	return []badCase{
		// BEIR corpus.jsonl.
		{name: "corpus truncated line", role: roleCorpus, file: "corpus-truncated.jsonl", line: 2, field: "invalid JSON"},
		{name: "corpus id is a number", role: roleCorpus, file: "corpus-id-number.jsonl", line: 2, field: `field "_id"`},
		{name: "corpus text is an object", role: roleCorpus, file: "corpus-text-object.jsonl", line: 2, field: `field "text"`},
		{name: "corpus id missing", role: roleCorpus, file: "corpus-missing-id.jsonl", line: 2, field: `field "_id": missing`},
		{name: "corpus id empty", role: roleCorpus, file: "corpus-empty-id.jsonl", line: 2, field: `field "_id": empty`},
		{name: "corpus id repeated", role: roleCorpus, file: "corpus-duplicate-id.jsonl", line: 3, field: `field "_id": duplicate id "d1"`},
		{name: "corpus text missing", role: roleCorpus, file: "corpus-missing-text.jsonl", line: 2, field: `field "text": missing`},
		{name: "corpus invalid UTF-8", role: roleCorpus, file: "corpus-invalid-utf8.jsonl", line: 2, field: "invalid UTF-8"},
		{name: "corpus line not an object", role: roleCorpus, file: "corpus-not-object.jsonl", line: 2, field: "not a JSON object"},
		// BEIR queries.jsonl.
		{name: "query text empty", role: roleQueries, file: "queries-empty-text.jsonl", line: 2, field: `field "text": empty`},
		{name: "query text is a number", role: roleQueries, file: "queries-text-number.jsonl", line: 2, field: `field "text"`},
		{name: "query id repeated", role: roleQueries, file: "queries-duplicate-id.jsonl", line: 2, field: `field "_id": duplicate id "q1"`},
		// BEIR qrels.
		{name: "qrels unknown query", role: roleQrels, file: "qrels-unknown-query.tsv", line: 3, field: `field "query-id": no query "q7"`},
		{name: "qrels unknown document", role: roleQrels, file: "qrels-unknown-doc.tsv", line: 2, field: `field "corpus-id": no document "d9"`},
		{name: "qrels score a word", role: roleQrels, file: "qrels-word-score.tsv", line: 2, field: `field "score"`},
		{name: "qrels score a fraction", role: roleQrels, file: "qrels-fraction-score.tsv", line: 2, field: `field "score"`},
		{name: "qrels without header", role: roleQrels, file: "qrels-no-header.tsv", line: 1, field: "want the header"},
		{name: "qrels two columns", role: roleQrels, file: "qrels-two-columns.tsv", line: 2, field: "want 3 tab-separated fields"},
		{name: "qrels pair judged twice", role: roleQrels, file: "qrels-duplicate-pair.tsv", line: 3, field: `field "corpus-id"`},
		{name: "qrels empty document id", role: roleQrels, file: "qrels-empty-doc.tsv", line: 2, field: `field "corpus-id": empty`},
		{name: "qrels oversized line", role: roleQrels, gen: func(t *testing.T, valid []byte) []byte {
			return append(valid, "q1\td2\t"+strings.Repeat("1", 17<<20)+"\n"...)
		}, line: 3, field: "line longer than"},
		// Lines with no end (issue 18, class 4): each reader stops at its
		// limit, naming the line, instead of growing a buffer until the
		// runtime dies.
		{name: "corpus line without end", role: roleCorpus, gen: func(t *testing.T, valid []byte) []byte {
			return append(append([]byte(nil), valid...), strings.Repeat("x", beir.MaxLineBytes+1)...)
		}, line: 4, field: "line longer than"},
		{name: "queries line without end", role: roleQueries, gen: func(t *testing.T, valid []byte) []byte {
			return append(append([]byte(nil), valid...), `{"_id": "q9", "text": "`+strings.Repeat("a ", beir.MaxLineBytes/2)...)
		}, line: 3, field: "line longer than"},
		{name: "train line without end", role: roleTrain, gen: func(t *testing.T, _ []byte) []byte {
			return []byte(strings.Repeat("{", beir.MaxLineBytes+10))
		}, line: 1, field: "line longer than"},
		{name: "run line without end", role: roleRun, gen: func(t *testing.T, _ []byte) []byte {
			return []byte("q1 Q0 d1 1 2.5 x\nq1 Q0 d2 2 1.5 " + strings.Repeat("x", metrics.MaxLineBytes+1))
		}, line: 2, field: "line longer than"},
		// Byte-order marks (class 6): a UTF-8 one is skipped (see
		// TestByteOrderMark), a UTF-16 one refused by name.
		{name: "corpus in UTF-16", role: roleCorpus, gen: func(t *testing.T, valid []byte) []byte {
			return append([]byte{0xFF, 0xFE}, valid...)
		}, line: 1, field: "UTF-16 (little-endian) byte-order mark"},
		{name: "qrels in UTF-16", role: roleQrels, gen: func(t *testing.T, valid []byte) []byte {
			return append([]byte{0xFE, 0xFF}, valid...)
		}, line: 1, field: "UTF-16 (big-endian) byte-order mark"},
		// Tevatron training JSONL.
		{name: "train no positive", role: roleTrain, file: "train-no-positive.jsonl", line: 2, field: `field "positive_passages"`},
		{name: "train query id a number", role: roleTrain, file: "train-id-number.jsonl", line: 1, field: `field "query_id"`},
		{name: "train negative without docid", role: roleTrain, file: "train-negative-no-docid.jsonl", line: 1, field: `field "negative_passages[1].docid"`},
		{name: "train empty query", role: roleTrain, file: "train-empty-query.jsonl", line: 1, field: `field "query": missing or empty`},
		{name: "train truncated line", role: roleTrain, file: "train-truncated.jsonl", line: 1, field: "invalid JSON"},
		// TREC runs and qrels (rrra eval).
		{name: "run rank a word", role: roleRun, file: "run-word-rank.trec", line: 2, field: "field rank"},
		{name: "run rank a fraction", role: roleRun, file: "run-fraction-rank.trec", line: 2, field: "field rank"},
		{name: "run NaN score", role: roleRun, file: "run-nan-score.trec", line: 2, field: "field score"},
		{name: "run document twice", role: roleRun, file: "run-duplicate-doc.trec", line: 2, field: "field docid"},
		{name: "run five fields", role: roleRun, file: "run-five-fields.trec", line: 1, field: "want 6 fields"},
		{name: "TREC qrels relevance a word", role: roleEvalQ, file: "qrels-trec-word-rel.txt", line: 2, field: "field rel"},
		// config.json.
		{name: "config without hidden_size", role: roleConfig, file: "config-missing-hidden-size.json", field: "field hidden_size is missing"},
		{name: "config heads do not divide", role: roleConfig, file: "config-heads-do-not-divide.json", field: "num_attention_heads 3"},
		{name: "config hidden_size a string", role: roleConfig, file: "config-hidden-size-string.json", field: "field hidden_size"},
		{name: "config pad token outside vocabulary", role: roleConfig, file: "config-pad-outside-vocab.json", field: "field pad_token_id"},
		{name: "config unsupported activation", role: roleConfig, file: "config-relu.json", field: "field hidden_act"},
		// Sizes checked before anything is allocated (class 4): a
		// config.json whose sizes would allocate or loop for minutes is
		// refused by its bound, then by the weights file's header.
		{name: "config a million layers", role: roleConfig, gen: editConfig("num_hidden_layers", 1000000), field: "field num_hidden_layers is 1000000"},
		{name: "config two billion positions", role: roleConfig, gen: editConfig("max_position_embeddings", 2000000000), field: "field max_position_embeddings is 2000000000"},
		{name: "config vocabulary of 2^40", role: roleConfig, gen: editConfig("vocab_size", 1<<40), field: "field vocab_size"},
		// vocab.txt.
		{name: "vocab without [UNK]", role: roleVocab, file: "vocab-no-unk.txt", field: "no [UNK] token"},
		{name: "vocab token repeated", role: roleVocab, file: "vocab-duplicate-token.txt", line: 7, field: `token "the" repeats line 5`},
		{name: "vocab blank line", role: roleVocab, file: "vocab-blank-line.txt", line: 5, field: "empty token"},
		{name: "vocab oversized line", role: roleVocab, gen: func(t *testing.T, valid []byte) []byte {
			return []byte("[PAD]\n[UNK]\n" + strings.Repeat("x", 2<<20) + "\n")
		}, line: 3, field: "line longer than"},
		// model.safetensors, made from the tiny model's.
		{name: "weights truncated", role: roleWeights, gen: func(t *testing.T, valid []byte) []byte {
			return valid[:len(valid)-10]
		}, tensor: "cls.predictions.transform.dense.weight", field: "field data_offsets [3983904, 3988000] runs past"},
		{name: "weights header truncated", role: roleWeights, gen: func(t *testing.T, valid []byte) []byte {
			return valid[:100]
		}, field: "header length"},
		{name: "weights header oversized", role: roleWeights, gen: func(t *testing.T, valid []byte) []byte {
			b := append([]byte(nil), valid...)
			binary.LittleEndian.PutUint64(b, 200<<20)
			return b
		}, field: "header length 209715200 exceeds"},
		{name: "weights overlapping offsets", role: roleWeights, gen: editHeader("bert.embeddings.LayerNorm.weight", "data_offsets", []int{64, 192}),
			tensor: "bert.embeddings.LayerNorm.weight", field: "field data_offsets [64, 192] overlaps"},
		{name: "weights offsets out of range", role: roleWeights, gen: editHeader("bert.embeddings.LayerNorm.bias", "data_offsets", []int{1 << 30, 1<<30 + 128}),
			tensor: "bert.embeddings.LayerNorm.bias", field: "field data_offsets"},
		{name: "weights wrong dtype", role: roleWeights, gen: editHeader("bert.embeddings.LayerNorm.bias", "dtype", "I32"),
			tensor: "bert.embeddings.LayerNorm.bias", field: "field dtype: I32 is not supported"},
		{name: "weights shape against data size", role: roleWeights, gen: editHeader("bert.embeddings.LayerNorm.bias", "shape", []int{33}),
			tensor: "bert.embeddings.LayerNorm.bias", field: "field data_offsets [0, 128] holds 128 bytes; shape [33]"},
		{name: "weights shape against config", role: roleWeights, gen: editHeader("bert.embeddings.LayerNorm.bias", "shape", []int{2, 16}),
			tensor: "bert.embeddings.LayerNorm.bias", field: "has shape [2 16]; config.json implies [32]"},
		{name: "weights NaN", role: roleWeights, gen: setFloat("bert.embeddings.LayerNorm.bias", 3, float32(math.NaN())),
			tensor: "bert.embeddings.LayerNorm.bias", field: "holds NaN at element 3"},
		{name: "weights +Inf", role: roleWeights, gen: setFloat("bert.embeddings.LayerNorm.weight", 0, float32(math.Inf(1))),
			tensor: "bert.embeddings.LayerNorm.weight", field: "holds +Inf at element 0"},
		// Index files, made from a valid index of the base corpus.
		{name: "index truncated", role: roleIndex, gen: func(t *testing.T, valid []byte) []byte {
			return valid[:len(valid)-6]
		}, field: "ids: index file truncated"},
		{name: "index wrong checksum", role: roleIndex, gen: func(t *testing.T, valid []byte) []byte {
			b := append([]byte(nil), valid...)
			b[64] ^= 0x40 // the first float of the matrix
			return b
		}, field: "checksum: index checksum mismatch"},
		{name: "index unknown version", role: roleIndex, gen: func(t *testing.T, valid []byte) []byte {
			b := append([]byte(nil), valid...)
			binary.LittleEndian.PutUint32(b[8:], 9)
			return b
		}, field: "version: unknown index format version 9"},
		{name: "index not an index", role: roleIndex, gen: func(t *testing.T, valid []byte) []byte {
			return append([]byte("PK\x03\x04"), valid[4:]...)
		}, field: "magic: malformed index file"},
		{name: "index of another dimension", role: roleIndex, gen: func(t *testing.T, valid []byte) []byte {
			return indexFile(t, 16)
		}, field: "dimension 16; the model has dimension 32"},
		{name: "index of another corpus of the same size", role: roleIndex, gen: func(t *testing.T, valid []byte) []byte {
			return indexFileOf(t, []string{"d1", "d3", "d2"}, 32)
		}, field: `vector 1 is document "d3", but document 1`},
	}
}

// editConfig returns a gen that sets field of a config.json to v.
func editConfig(field string, v any) func(t *testing.T, valid []byte) []byte {
	return func(t *testing.T, valid []byte) []byte {
		var m map[string]any
		if err := json.Unmarshal(valid, &m); err != nil {
			t.Fatal(err)
		}
		m[field] = v
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// editHeader returns a gen that sets field of tensor in a safetensors
// header to v, keeping the data as it is.
func editHeader(tensorName, field string, v any) func(t *testing.T, valid []byte) []byte {
	return func(t *testing.T, valid []byte) []byte {
		n := binary.LittleEndian.Uint64(valid)
		var h map[string]map[string]any
		if err := json.Unmarshal(valid[8:8+n], &h); err != nil {
			t.Fatal(err)
		}
		if h[tensorName] == nil {
			t.Fatalf("no tensor %q", tensorName)
		}
		h[tensorName][field] = v
		hdr, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		for len(hdr)%8 != 0 {
			hdr = append(hdr, ' ')
		}
		out := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
		out = append(out, hdr...)
		return append(out, valid[8+n:]...)
	}
}

// setFloat returns a gen that sets element i of an F32 tensor to x.
func setFloat(tensorName string, i int, x float32) func(t *testing.T, valid []byte) []byte {
	return func(t *testing.T, valid []byte) []byte {
		n := binary.LittleEndian.Uint64(valid)
		var h map[string]struct {
			Offsets []int `json:"data_offsets"`
		}
		if err := json.Unmarshal(valid[8:8+n], &h); err != nil {
			t.Fatal(err)
		}
		e, ok := h[tensorName]
		if !ok {
			t.Fatalf("no tensor %q", tensorName)
		}
		b := append([]byte(nil), valid...)
		binary.LittleEndian.PutUint32(b[8+int(n)+e.Offsets[0]+4*i:], math.Float32bits(x))
		return b
	}
}

// baseCorpusIDs are the document ids of testdata/bad/base/corpus.jsonl.
var baseCorpusIDs = []string{"d1", "d2", "d3"}

// indexFile returns a valid index file of the base corpus with vectors of
// dimension d.
func indexFile(t *testing.T, d int) []byte {
	return indexFileOf(t, baseCorpusIDs, d)
}

// indexFileOf returns a valid index file of documents ids with vectors of
// dimension d.
func indexFileOf(t *testing.T, ids []string, d int) []byte {
	ix := index.New(d)
	vecs := make([]float32, len(ids)*d)
	for i := range vecs {
		vecs[i] = float32(i%7) / 7
	}
	if err := ix.Add(ids, vecs); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := ix.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// copyFiles copies the regular files under src into dst, keeping the tree.
func copyFiles(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setup lays out c's input in dir and returns the command line that reads
// it, the path the error must name, and the output the command must not
// leave behind ("" where it writes only to stdout).
func (c badCase) setup(t *testing.T, dir string) (args []string, path, out string) {
	t.Helper()
	base := filepath.Join("testdata", "bad", "base")
	data := filepath.Join(dir, "data")
	copyFiles(t, base, data)
	input := func(valid string) []byte {
		if c.gen == nil {
			b, err := os.ReadFile(filepath.Join("testdata", "bad", c.file))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		var v []byte
		if valid != "" {
			var err error
			if v, err = os.ReadFile(valid); err != nil {
				t.Fatal(err)
			}
		}
		return c.gen(t, v)
	}
	write := func(p string, b []byte) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	switch c.role {
	case roleCorpus, roleQueries, roleQrels:
		path = filepath.Join(data, c.role)
		write(path, input(filepath.Join(base, c.role)))
		out = filepath.Join(dir, "run.trec")
		return []string{"search", "--data", data, "--method", "bm25", "--split", "test", "--out", out}, path, out
	case roleTrain:
		path = filepath.Join(dir, "train.jsonl")
		write(path, input(""))
		out = filepath.Join(dir, "model")
		return []string{"train", "--data", data, "--train-file", path, "--out", out, "--config", "mini", "--steps", "1"}, path, out
	case roleRun, roleEvalQ:
		qrels, run := filepath.Join(base, "qrels", "test.tsv"), filepath.Join(dir, "good.trec")
		write(run, []byte("q1 Q0 d1 1 2.5 good\nq1 Q0 d2 2 1.5 good\n"))
		base := filepath.Base(c.file)
		if c.file == "" {
			base = "generated.trec"
		}
		path = filepath.Join(dir, base)
		write(path, input(""))
		if c.role == roleRun {
			run = path
		} else {
			qrels = path
		}
		return []string{"eval", "--qrels", qrels, "--run", run}, path, ""
	case roleConfig, roleVocab, roleWeights:
		model := filepath.Join(dir, "model")
		copyFiles(t, tinyModel, model)
		path = filepath.Join(model, c.role)
		write(path, input(filepath.Join(tinyModel, c.role)))
		out = filepath.Join(dir, "out.npy")
		return []string{"encode", "--model", model, "--input", filepath.Join(base, "corpus.jsonl"), "--out", out}, path, out
	case roleIndex:
		valid := filepath.Join(dir, "valid.idx")
		write(valid, indexFile(t, 32))
		path = filepath.Join(dir, "bad.idx")
		write(path, input(valid))
		out = filepath.Join(dir, "run.trec")
		return []string{"search", "--data", data, "--method", "dense", "--model", tinyModel, "--index", path, "--out", out}, path, out
	}
	t.Fatalf("unknown role %q", c.role)
	return nil, "", ""
}

// runCatching is run with a panic turned into an exit code of -1 and the
// panic's value on stderr.
func runCatching(args []string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	defer func() {
		if p := recover(); p != nil {
			code, stdout, stderr = -1, out.String(), fmt.Sprintf("%s\npanic: %v", errb.String(), p)
		}
	}()
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestBadInput(t *testing.T) {
	cases := badCases()
	if len(cases) < 30 {
		t.Fatalf("%d cases; the catalogue promises at least 30", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] || (c.file == "") == (c.gen == nil) || c.field == "" {
			t.Fatalf("case %q: repeated, or not exactly one of file and gen, or no field", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args, path, out := c.setup(t, dir)
			code, stdout, stderr := runCatching(append(args, "--quiet"))
			if code != 1 {
				t.Fatalf("rrra %s: exit %d, want 1\n%s", strings.Join(args, " "), code, stderr)
			}
			if !strings.Contains(stderr, path) {
				t.Errorf("error does not name the file %s:\n%s", path, stderr)
			}
			if c.line > 0 && !strings.Contains(stderr, fmt.Sprintf("%s:%d: ", path, c.line)) {
				t.Errorf("error does not name line %d of %s:\n%s", c.line, path, stderr)
			}
			if c.tensor != "" && !strings.Contains(stderr, fmt.Sprintf("tensor %q", c.tensor)) {
				t.Errorf("error does not name the tensor %q:\n%s", c.tensor, stderr)
			}
			if !strings.Contains(stderr, c.field) {
				t.Errorf("error does not contain %q:\n%s", c.field, stderr)
			}
			if out != "" {
				if _, err := os.Stat(out); err == nil {
					t.Errorf("%s was left behind", out)
				}
			} else if stdout != "" {
				t.Errorf("output on stdout:\n%s", stdout)
			}
		})
	}
}
