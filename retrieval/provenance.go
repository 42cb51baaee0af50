package retrieval

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"strconv"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/retrieval/index"
)

// Index metadata (index.Flat.SetMeta) that IndexCorpus and IndexVectors
// record and CheckIndex checks, so that an index is searched only with
// query vectors of the model that encoded it, over the corpus text it
// encoded.
const (
	// MetaModel is Encoder.Fingerprint of the model that encoded the
	// documents (absent for vectors made elsewhere).
	MetaModel = "model_sha256"
	// MetaCorpus is TrainData.CorpusFingerprint of the documents.
	MetaCorpus = "corpus_sha256"
	// MetaDocLen is the document length in tokens the model encoded at
	// (informational: a search may use another).
	MetaDocLen = "doc_max_len"
	// MetaVectors names the .npy the vectors came from, for an index of
	// vectors made elsewhere (IndexVectors).
	MetaVectors = "vectors"
	// MetaPrecision is the precision the document tower encoded at
	// (nn.Precision's name; absent in indexes from before int8).
	MetaPrecision = "precision"
)

// fingerprintProbe is tokenised into the fingerprint, which so covers the
// tokenizer's normalisation (lower-casing, accents) as well as its
// vocabulary.
const fingerprintProbe = "Ünïcode CASE straße 東京 don't-stop"

// Fingerprint returns the hex SHA-256 of everything that decides the
// vectors e gives a text: both towers' architecture and weights, the
// vocabulary and the tokenizer's normalisation, pooling, normalisation of
// the vectors, the prompts and the precision of the Linear layers (named
// only when it is not fp32, so float32 fingerprints are what they were
// before int8). Two encoders with the same fingerprint give the same
// vectors (the maximum lengths aside). It reads every weight: about a
// second for a BERT-base model.
func (e *Encoder) Fingerprint() string {
	h := sha256.New()
	towers := []*nn.Bert{e.Bi.Query}
	if e.Bi.Doc != e.Bi.Query {
		towers = append(towers, e.Bi.Doc)
	}
	for _, b := range towers {
		fmt.Fprintf(h, "tower %+v\n", b.Config)
		hashFloats(h, b.Params.Data())
		if p := b.Precision(); p != nn.FP32 {
			fmt.Fprintf(h, "precision %v\n", p)
		}
	}
	fmt.Fprintf(h, "pooling %v normalize %v\n", e.Bi.Pooling, e.Bi.Normalize)
	writeString(h, e.QueryPrompt)
	writeString(h, e.DocPrompt)
	v := e.Tok.Vocab()
	fmt.Fprintf(h, "vocab %d\n", v.Len())
	for i := 0; i < v.Len(); i++ {
		writeString(h, v.Token(int32(i)))
	}
	fmt.Fprint(h, e.Tok.Tokenize(nil, fingerprintProbe))
	return hex.EncodeToString(h.Sum(nil))
}

// CorpusFingerprint returns the hex SHA-256 of td's documents: their ids
// and texts, in order.
func (td *TrainData) CorpusFingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "docs %d\n", len(td.Docs))
	for i := range td.Docs {
		writeString(h, td.DocIDs[i])
		writeString(h, td.Docs[i])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeString writes s to h with its length, so that no two lists of
// strings hash alike.
func writeString(h hash.Hash, s string) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	var buf [4096]byte // in pieces: a 50 MB document is not copied whole
	for len(s) > 0 {
		c := copy(buf[:], s)
		h.Write(buf[:c])
		s = s[c:]
	}
}

// hashFloats writes v's bits to h, little-endian.
func hashFloats(h hash.Hash, v []float32) {
	var buf [4096]byte
	for len(v) > 0 {
		c := min(len(v), len(buf)/4)
		for i, x := range v[:c] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		h.Write(buf[:4*c])
		v = v[c:]
	}
}

// indexMeta returns the metadata IndexCorpus records.
func indexMeta(enc *Encoder, td *TrainData) map[string]string {
	return map[string]string{MetaModel: enc.Fingerprint(), MetaCorpus: td.CorpusFingerprint(), MetaDocLen: strconv.Itoa(enc.DocMaxLen),
		MetaPrecision: enc.Bi.Doc.Precision().String()}
}

// checkMeta refuses an index whose metadata names another model or other
// corpus text than enc and corpus; an index without metadata (written by
// an earlier build) passes.
func checkMeta(ix index.Index, enc *Encoder, corpus *TrainData, name string) error {
	return CheckProvenance(ix.Meta(), enc, corpus, name, "rebuild it with rrra index --model")
}

// CheckProvenance refuses vectors whose provenance record meta (MetaModel,
// MetaCorpus, MetaPrecision, as an index's metadata or a vector
// database's class rrra exported holds them) names another model, another
// precision or other corpus text than enc and corpus (enc nil: the model
// is not checked); a key the record lacks passes (vectors made before it
// was recorded, or elsewhere). name says whose record it is, redo how to
// make the vectors again.
func CheckProvenance(meta map[string]string, enc *Encoder, corpus *TrainData, name, redo string) error {
	if p := meta[MetaPrecision]; p != "" && enc != nil {
		if now := enc.Bi.Doc.Precision().String(); p != now {
			return fmt.Errorf("%s: the vectors were encoded at %s precision and this model runs at %s: they and the query vectors would not match; search with --precision %s, or %s", name, p, now, p, redo)
		}
	}
	if m := meta[MetaModel]; m != "" && enc != nil {
		if now := enc.Fingerprint(); m != now {
			return fmt.Errorf("%s: the vectors were encoded by another model (model sha256 %.12s…; this model's is %.12s…): they and this model's query vectors do not belong together; %s", name, m, now, redo)
		}
	}
	if c := meta[MetaCorpus]; c != "" {
		if now := corpus.CorpusFingerprint(); c != now {
			return fmt.Errorf("%s: the vectors were built from other document texts (corpus sha256 %.12s…; this corpus's is %.12s…), though with the same ids: %s from this corpus", name, c, now, redo)
		}
	}
	return nil
}
