package retrieval

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/tensor"
)

// EncoderOptions sets LoadEncoder.
type EncoderOptions struct {
	// QueryLen and DocLen bound queries and documents in tokens, [CLS]
	// and [SEP] included (0: 32 and 128, or the model's
	// max_position_embeddings where that is smaller); a length above the
	// model's limit is refused.
	QueryLen, DocLen int
	// Notices receives the loader's notes on what it assumed (a missing
	// tokenizer setting, say), one per line; nil drops them.
	Notices io.Writer
	// PromptName, when set, names one of the folder's prompts
	// (config_sentence_transformers.json "prompts") to put before queries
	// and documents alike, in place of the automatic choice (see
	// LoadEncoder); a name the folder lacks is an error.
	PromptName string
	// NoPrompts leaves texts as they are, whatever the folder names.
	NoPrompts bool
	// Precision, when set, is the arithmetic of the towers' Linear layers:
	// "fp32", "int8" or "bf16" (nn.ParsePrecision). Empty means the
	// folder's: int8 for a quantized folder (rrra quantize), fp32
	// otherwise. int8 on a float32 folder quantizes it as it loads; bf16
	// rounds the products' operands to bfloat16 (float32 sums).
	Precision string
}

// LoadEncoder reads a model directory (a bi-encoder directory that rrra
// wrote, a sentence-transformers folder, or a Hugging Face BERT directory:
// config.json, model.safetensors, vocab.txt or tokenizer.json) and returns
// its Encoder: the towers with the pooling, normalisation and temperature
// the directory records, its WordPiece tokenizer, its prompts, and the
// input lengths, checked against the model's max_position_embeddings
// before any work. The Encoder's Model holds the vocabulary, for saving
// the model again.
//
// Lengths left 0 in opts default to the folder's max_seq_length
// (sentence_bert_config.json) for queries and documents alike, as
// sentence-transformers truncates, or else to 32 and 128 (or the model's
// limit where that is smaller).
//
// Prompts follow sentence-transformers' encode_query and encode_document:
// QueryPrompt is the folder's prompt named "query", DocPrompt the first of
// those named "document", "passage" and "corpus"; a side with none of
// these gets the prompt named by default_prompt_name, if any. opts.PromptName
// puts one named prompt on both sides instead, and opts.NoPrompts none.
// With a pooling config's include_prompt false and mean pooling, a prompt
// is refused (rrra pools over every token).
func LoadEncoder(dir string, opts EncoderOptions) (*Encoder, error) {
	if _, _, err := opts.lengths(MaxTokens, MaxTokens, 0); err != nil {
		return nil, fmt.Errorf("retrieval: %s: %w", dir, err) // before reading the folder
	}
	var prec nn.Precision
	if opts.Precision != "" {
		var err error
		if prec, err = nn.ParsePrecision(opts.Precision); err != nil {
			return nil, fmt.Errorf("retrieval: %w", err)
		}
	}
	bi, model, notices, err := nn.LoadBiEncoder(dir)
	if err != nil {
		return nil, err
	}
	if opts.Precision != "" {
		for _, t := range []*nn.Bert{bi.Query, bi.Doc} {
			if err := t.SetPrecision(prec); err != nil {
				return nil, fmt.Errorf("retrieval: %s: %w", dir, err)
			}
		}
	}
	if opts.Notices != nil {
		for _, n := range notices {
			fmt.Fprintln(opts.Notices, n)
		}
	}
	if q, d := bi.Query.Config.HiddenSize, bi.Doc.Config.HiddenSize; q != d {
		return nil, fmt.Errorf("retrieval: %s: the query tower's vectors have %d dimensions, the document tower's %d: their scores mean nothing", dir, q, d)
	}
	q, d, err := opts.lengths(bi.Query.Config.MaxPositionEmbeddings, bi.Doc.Config.MaxPositionEmbeddings, model.MaxSeqLength)
	if err != nil {
		return nil, fmt.Errorf("retrieval: %s: %w", dir, err)
	}
	enc := NewEncoder(bi, wordpiece.New(model.Vocab, model.Lower), q, d)
	enc.Model = model
	enc.PromptExcluded = model.ExcludePrompt
	if err := enc.setPrompts(dir, opts); err != nil {
		return nil, err
	}
	if opts.Notices != nil && (enc.QueryPrompt != "" || enc.DocPrompt != "") {
		fmt.Fprintf(opts.Notices, "%s: prompts from %s: %q before queries, %q before documents\n",
			dir, nn.SentenceTransformersConfig, enc.QueryPrompt, enc.DocPrompt)
	}
	return enc, nil
}

// MaxTokens bounds input lengths before a model's own limit is known.
const MaxTokens = 1 << 16

// lengths resolves the query and document lengths of o for towers whose
// limits are qMax and dMax (max_position_embeddings): 0 takes seqLen (a
// folder's max_seq_length) when it is set, else 32 and 128 within the
// limits; an explicit length must be 3 (room for [CLS], a token and
// [SEP]) to the limit.
func (o EncoderOptions) lengths(qMax, dMax, seqLen int) (q, d int, err error) {
	q, d = o.QueryLen, o.DocLen
	if q == 0 {
		q = min(32, qMax)
		if seqLen > 0 {
			q = seqLen
		}
	}
	if d == 0 {
		d = min(128, dMax)
		if seqLen > 0 {
			d = seqLen
		}
	}
	for _, c := range []struct {
		what   string
		n, max int
	}{{"query", q, qMax}, {"document", d, dMax}} {
		switch {
		case c.n < 3:
			return 0, 0, fmt.Errorf("%s length %d: want ≥ 3, room for [CLS], a token and [SEP]", c.what, c.n)
		case c.n > c.max:
			return 0, 0, fmt.Errorf("%s length %d exceeds the model's max_position_embeddings %d", c.what, c.n, c.max)
		}
	}
	return q, d, nil
}

// setPrompts chooses the Encoder's prompts as LoadEncoder describes.
func (e *Encoder) setPrompts(dir string, opts EncoderOptions) error {
	m := e.Model
	switch {
	case opts.NoPrompts:
		return nil
	case opts.PromptName != "":
		p, ok := m.Prompts[opts.PromptName]
		if !ok {
			return fmt.Errorf("retrieval: %s: no prompt named %q in %s (it has %s)", dir, opts.PromptName, nn.SentenceTransformersConfig, promptList(m.Prompts))
		}
		e.QueryPrompt, e.DocPrompt = p, p
	default:
		def := m.Prompts[m.DefaultPromptName] // "" when there is none
		e.QueryPrompt, e.DocPrompt = def, def
		if p, ok := m.Prompts["query"]; ok {
			e.QueryPrompt = p
		}
		for _, name := range []string{"document", "passage", "corpus"} {
			if p, ok := m.Prompts[name]; ok {
				e.DocPrompt = p
				break
			}
		}
	}
	if e.PromptExcluded && e.Bi.Pooling == nn.PoolMean && (e.QueryPrompt != "" || e.DocPrompt != "") {
		return fmt.Errorf("retrieval: %s: the pooling config's field include_prompt is false: the prompt's tokens are to be left out of the mean, which rrra does not implement", dir)
	}
	return nil
}

// promptList lists the names of prompts, sorted, for messages.
func promptList(prompts map[string]string) string {
	if len(prompts) == 0 {
		return "none"
	}
	names := make([]string, 0, len(prompts))
	for k := range prompts {
		names = append(names, strconv.Quote(k))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// NewModelEncoder returns an Encoder over a new model of configuration
// cfg, initialised from seed (nn.NewBert), with vocabulary vocab
// (lower-casing): one tower for queries and documents, mean pooling,
// normalised vectors, for training from scratch. Lengths as LoadEncoder
// takes them (0: 32 and 128, within the model's limit). The Encoder's
// Model holds the vocabulary, for saving.
func NewModelEncoder(cfg nn.BertConfig, vocab *wordpiece.Vocab, seed uint64, opts EncoderOptions) (*Encoder, error) {
	if cfg.VocabSize != vocab.Len() {
		return nil, fmt.Errorf("retrieval: field vocab_size is %d, the vocabulary has %d tokens", cfg.VocabSize, vocab.Len())
	}
	q, d, err := opts.lengths(cfg.MaxPositionEmbeddings, cfg.MaxPositionEmbeddings, 0)
	if err != nil {
		return nil, fmt.Errorf("retrieval: %w", err)
	}
	m, err := nn.NewBert(cfg, seed)
	if err != nil {
		return nil, err
	}
	enc := NewEncoder(&nn.BiEncoder{Query: m, Doc: m, Pooling: nn.PoolMean, Normalize: true}, wordpiece.New(vocab, true), q, d)
	enc.Model = &nn.Model{Bert: m, Vocab: vocab, Lower: true}
	return enc, nil
}

// IndexCorpus encodes every document of td (NewCorpusData for a whole
// collection) with enc's document tower into a new exact index, its ids
// td's document ids. progress, when not nil, sees the documents encoded
// so far.
func IndexCorpus(enc *Encoder, td *TrainData, progress func(done int)) (*index.Flat, error) {
	return IndexCorpusShard(enc, td, Whole, progress)
}

// IndexVectors indexes vectors made elsewhere: a [documents, dim] matrix
// (a .npy's) with one row per document of corpus, in corpus order. It
// refuses another shape and a NaN or infinite value, naming the row and
// the column; name names the vectors' file in errors.
func IndexVectors(corpus *TrainData, vecs *tensor.Tensor, name string) (*index.Flat, error) {
	if vecs.Shape.Rank() != 2 || vecs.Shape.Dim(0) != len(corpus.DocIDs) {
		return nil, fmt.Errorf("%s: shape %v; want [%d, dim], one row per document of the corpus in corpus order", name, vecs.Shape, len(corpus.DocIDs))
	}
	if ok, at := vecs.Finite(); !ok {
		dim := vecs.Shape.Dim(1)
		return nil, fmt.Errorf("%s: row %d (document %q), column %d holds %v", name, at/dim, corpus.DocIDs[at/dim], at%dim, vecs.Data[at])
	}
	ix := index.New(vecs.Shape.Dim(1))
	if err := ix.Add(corpus.DocIDs, vecs.Data); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ix.SetMeta(map[string]string{MetaCorpus: corpus.CorpusFingerprint(), MetaVectors: filepath.Base(name)})
	return ix, nil
}

// EncodeRows encodes the rows of a JSONL file (r, called name in errors;
// beir.ReadTextRows: "text" and an optional "title") as documents, batch
// rows at a time, and returns their vectors in row order and the number
// of rows. progress, when not nil, sees the rows encoded so far.
func EncodeRows(enc *Encoder, r io.Reader, name string, batch int, progress func(rows int)) ([]float32, int, error) {
	return EncodeRowRange(enc, r, name, batch, 0, -1, progress)
}

// EncodeRowRange is EncodeRows for rows [lo, hi) only (hi < 0: to the
// end), as one shard of a corpus (Shard.Range of CountRows' count); every
// row is still read and checked. It returns the vectors of the rows in
// the range and the number of rows read.
func EncodeRowRange(enc *Encoder, r io.Reader, name string, batch, lo, hi int, progress func(rows int)) ([]float32, int, error) {
	var vecs []float32
	at := 0
	rows, err := beir.ReadTextRows(r, name, batch, func(texts []string) error {
		first := at
		at += len(texts)
		a, b := max(lo, first)-first, len(texts)
		if hi >= 0 {
			b = min(hi, at) - first
		}
		if a >= b {
			return nil
		}
		v, err := enc.Docs(texts[a:b], nil)
		if err != nil {
			return err
		}
		vecs = append(vecs, v...)
		if progress != nil {
			progress(len(vecs) / enc.Dim())
		}
		return nil
	})
	return vecs, rows, err
}

// CountRows returns the number of rows of a JSONL file that EncodeRows
// would encode, checking each as it does.
func CountRows(r io.Reader, name string) (int, error) {
	return beir.ReadTextRows(r, name, 256, func([]string) error { return nil })
}

// Search encodes query texts with enc's query tower and returns each
// one's top k documents of ix (built by IndexCorpus with the same model).
func Search(enc *Encoder, ix index.Index, texts []string, k int) ([][]index.Hit, error) {
	if ix.Dim() != enc.Dim() {
		return nil, fmt.Errorf("retrieval: an index of dimension %d for a model of dimension %d", ix.Dim(), enc.Dim())
	}
	if k < 1 {
		return nil, fmt.Errorf("retrieval: search depth %d: want ≥ 1", k)
	}
	qv, err := enc.Queries(texts, nil)
	if err != nil {
		return nil, err
	}
	return ix.Search(qv, len(texts), k), nil
}

// CheckIndex reports an index that does not hold corpus's documents in
// corpus order with enc's vectors: another dimension, another size, or
// another corpus (or order) of the same size, whose search results would
// name the wrong documents silently; and, from the index's metadata (see
// MetaModel), an index encoded by another model of the same dimension or
// from other texts under the same ids; and one shard's index (MetaShard).
// name names the index in errors.
func CheckIndex(ix index.Index, enc *Encoder, corpus *TrainData, name string) error {
	if s := ix.Meta()[MetaShard]; s != "" {
		return fmt.Errorf("%s: is shard %s of a collection of %s documents, not an index of all of it: merge every shard with rrra index merge, then search the merged index", name, s, ix.Meta()[MetaShardOf])
	}
	if ix.Dim() != enc.Dim() || ix.Len() != len(corpus.DocIDs) {
		return fmt.Errorf("%s: %d vectors of dimension %d; the model has dimension %d and the corpus %d documents",
			name, ix.Len(), ix.Dim(), enc.Dim(), len(corpus.DocIDs))
	}
	for i, want := range corpus.DocIDs {
		if id := ix.ID(i); id != want {
			return fmt.Errorf("%s: vector %d is document %q, but document %d of the corpus is %q: an index of another corpus (or order)",
				name, i, id, i, want)
		}
	}
	return checkMeta(ix, enc, corpus, name)
}
