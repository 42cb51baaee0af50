package retrieval

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/retrieval/beir"
)

// A MemoryPlan adds up an upper bound on a job's peak resident memory as
// the job learns its sizes (the corpus, the model, the vectors), and
// refuses to go on, with the whole sum in the error, as soon as the bound
// passes its limit (rrra's --max-memory). The terms (docs/memory.md measures them against
// peak RSS):
//
//	runtime   32 MiB                         Go runtime, binary, vocabulary
//	corpus    3·T + 256·n                    T bytes of text, n documents: as read, joined (title and text),
//	                                            and room for transient copies
//	reader    1.5·R + M                      the reader's buffers (beir.ReadMemory) for a longest line of M
//	                                            bytes over 1 MiB (0 otherwise): R is 1 MiB doubled until it
//	                                            holds the line, at most beir.MaxLineBytes and 1 MiB
//	bm25      4·T                            postings, norms, the analysed text
//	encoder   8·P + 64 MiB·⌈A / 64 MiB⌉         P parameters; the tape's arena, in 64 MiB chunks, holding
//	          A = 6·B·L·(13h + 2f + a·L)        one layer's activations of B texts of L tokens (hidden h, feed-forward
//	                                            f, a heads) and the hidden states kept between layers, ×1.5 for the
//	                                            chunks' unused tails: inference frees each layer as it goes, so depth
//	                                            does not count
//	vectors   2·n·d·4                        the encoded corpus and the index's copy (n·d·4 when an index file is mapped)
//	tokens    n·L·d·4                        adapter B's token states
//
// The tokenizer is not a term: it reads a text only as far as the tokens
// it keeps (wordpiece's TokenizeN), holding O(L) however long the text,
// and a prompt is put before each text as it is tokenised, not copied into
// it. The line limit bounds what one line can make the reader hold.
//
// Without a limit nothing is checked; a nil plan checks nothing either.
type MemoryPlan struct {
	// LimitName names the limit in errors (as the flag that set it;
	// "" reads "the memory limit").
	LimitName string

	limit  int64
	total  int64
	text   int64 // the corpus's title and text bytes (what BM25 indexes), once read
	terms  []string
	stderr io.Writer
}

const runtimeBytes = 32 << 20

func (p *MemoryPlan) limitName() string {
	if p.LimitName == "" {
		return "the memory limit"
	}
	return p.LimitName
}

// NewMemoryPlan returns a plan with a limit in bytes (0: none), named
// name in its errors (see LimitName), that reports on log (nil: quiet). A limit is also set as the Go runtime's
// soft memory limit, which then follows the bound as it grows (never above
// the limit), so that the collector works to keep the peak under the bound
// the plan prints.
func NewMemoryPlan(limit int64, name string, log io.Writer) (*MemoryPlan, error) {
	if limit < 0 {
		return nil, fmt.Errorf("retrieval: memory limit %d bytes", limit)
	}
	if log == nil {
		log = io.Discard
	}
	p := &MemoryPlan{LimitName: name, stderr: log, limit: limit}
	if limit == 0 {
		return p, nil
	}
	debug.SetMemoryLimit(limit)
	return p, p.add("runtime", runtimeBytes, "fixed")
}

// add adds a term to the bound and checks it against the limit.
func (p *MemoryPlan) add(name string, bytes int64, formula string) error {
	if p == nil || p.limit == 0 {
		return nil
	}
	p.total += bytes
	p.terms = append(p.terms, fmt.Sprintf("%s %s (%s)", name, mib(bytes), formula))
	if p.total > p.limit {
		return fmt.Errorf("memory: the estimated peak, %s, exceeds %s %s: %s; see docs/memory.md",
			mib(p.total), p.limitName(), mib(p.limit), strings.Join(p.terms, " + "))
	}
	// The collector works to stay under the bound printed, not only under
	// the limit: with the default pacing the heap may grow to twice what
	// is live before a collection, which on many small documents took the
	// peak past the bound (1.39× it in TestMemoryBoundPathological).
	debug.SetMemoryLimit(p.total)
	return nil
}

// Report logs the bound reached so far.
func (p *MemoryPlan) Report() {
	if p != nil && p.limit > 0 {
		fmt.Fprintf(p.stderr, "memory: estimated peak %s of the %s limit\n", mib(p.total), mib(p.limit))
	}
}

// CorpusFile checks, before reading, the corpus's size on disk (times 4
// for gzip) as its text size.
func (p *MemoryPlan) CorpusFile(fsys fs.FS, name string) error {
	if p == nil || p.limit == 0 {
		return nil
	}
	for _, f := range []struct {
		file   string
		factor int64
	}{{"corpus.jsonl", 1}, {"corpus.jsonl.gz", 4}} {
		if st, err := fs.Stat(fsys, f.file); err == nil {
			if est := runtimeBytes + 3*f.factor*st.Size(); est > p.limit {
				return fmt.Errorf("memory: %s/%s (%s on disk) needs about %s to read (3 × its text%s), over %s %s; see docs/memory.md",
					name, f.file, mib(st.Size()), mib(est), map[bool]string{true: ", text taken as 4 × the gzip size"}[f.factor == 4], p.limitName(), mib(p.limit))
			}
			return nil
		}
	}
	return nil
}

// Corpus adds the read corpus.
func (p *MemoryPlan) Corpus(d *beir.Dataset) error {
	if p == nil || p.limit == 0 {
		return nil
	}
	var ids int64
	for i := range d.Corpus.Docs {
		doc := &d.Corpus.Docs[i]
		ids += int64(len(doc.ID))
		p.text += int64(len(doc.Title) + len(doc.Text))
	}
	n := int64(d.Corpus.Len())
	if err := p.add("corpus", 3*(ids+p.text)+256*n, fmt.Sprintf("3 × %s of text + 256 B × %d documents", mib(ids+p.text), n)); err != nil {
		return err
	}
	longest := 0
	for _, st := range d.Stats {
		longest = max(longest, st.LongestLine)
	}
	if r := beir.ReadMemory(longest); r > 0 {
		return p.add("reader", r, fmt.Sprintf("buffers for the longest line, %s", mib(int64(longest))))
	}
	return nil
}

// BM25 adds a BM25 index over the corpus that Corpus added.
func (p *MemoryPlan) BM25() error {
	if p == nil || p.limit == 0 {
		return nil
	}
	if err := p.add("bm25", 4*p.text, fmt.Sprintf("4 × %s of text", mib(p.text))); err != nil {
		return err
	}
	p.Report()
	return nil
}

// Encoder adds a model encoding batches of b texts of up to l tokens.
func (p *MemoryPlan) Encoder(bi *nn.BiEncoder, b, l int) error {
	c := bi.Doc.Config
	params := int64(bi.Doc.Params.NumValues())
	if bi.Query != bi.Doc {
		params += int64(bi.Query.Params.NumValues())
	}
	// One layer at a time (nn.Bert.Forward frees each layer's
	// intermediates at inference): about 11h + 2f + a·L floats a token,
	// plus the hidden states kept between layers and the embeddings'.
	act := 6 * int64(b) * int64(l) * int64(13*c.HiddenSize+2*c.IntermediateSize+c.NumAttentionHeads*l)
	const chunk = 64 << 20 // the autograd arena's smallest chunk
	arena := (act + chunk - 1) / chunk * chunk
	return p.add("encoder", 8*params+arena, fmt.Sprintf("8 × %d parameters + a %s arena for %s of activations, %d texts × %d tokens", params, mib(arena), mib(act), b, l))
}

// Vectors adds copies of n vectors of dimension d.
func (p *MemoryPlan) Vectors(copies, n, d int) error {
	return p.add("vectors", int64(copies)*int64(n)*int64(d)*4, fmt.Sprintf("%d × %d × %d × 4", copies, n, d))
}

// ParseBytes reads a size: a number of bytes, or a number with one of
// the suffixes KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB
// (powers of 1000).
func ParseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) || math.IsInf(v*mult, 0) || v*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size (as 512MiB, 2GiB or a number of bytes)", s)
	}
	return int64(v * mult), nil
}

// mib formats bytes in MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// Dense adds a dense job's model and vectors to the bound: the corpus of
// n documents encoded now (encodeCorpus: batches of documents, two copies
// of the vectors) or an index file mapped (batches of queries, one copy).
func (p *MemoryPlan) Dense(enc *Encoder, n int, encodeCorpus bool) error {
	l, copies := enc.QueryMaxLen, 1
	if encodeCorpus {
		l, copies = enc.DocMaxLen, 2
	}
	if err := p.Encoder(enc.Bi, enc.Batch, l); err != nil {
		return err
	}
	if err := p.Vectors(copies, n, enc.Dim()); err != nil {
		return err
	}
	p.Report()
	return nil
}
