package nn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rrra/rrra/internal/atomicfile"
)

// BiEncoderFile is the file in a bi-encoder directory that records how the
// towers are pooled and scored. A directory without it is one Hugging Face
// model used for both towers with CLS pooling and dot-product scores.
//
// Layout: with shared towers the directory itself is a Hugging Face model
// directory (config.json, model.safetensors, vocab.txt,
// tokenizer_config.json) plus BiEncoderFile; with separate towers the
// subdirectories query/ and document/ are one model directory each, and
// BiEncoderFile sits beside them. Each tower loads in Python with
// transformers.BertModel.from_pretrained.
const BiEncoderFile = "rrra_biencoder.json"

type biEncoderMeta struct {
	Shared      bool    `json:"shared"`
	Pooling     string  `json:"pooling"`
	Normalize   bool    `json:"normalize"`
	Temperature float32 `json:"temperature"`
}

// SaveBiEncoder writes b, whose towers use vocab with the given
// lower-casing, to dir in the layout described at BiEncoderFile.
func SaveBiEncoder(dir string, b *BiEncoder, m *Model) error {
	meta := biEncoderMeta{Shared: b.Query == b.Doc, Pooling: "cls", Normalize: b.Normalize, Temperature: b.Temperature}
	if b.Pooling == PoolMean {
		meta.Pooling = "mean"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	if meta.Shared {
		if err := (&Model{Bert: b.Query, Vocab: m.Vocab, Lower: m.Lower}).Save(dir); err != nil {
			return err
		}
	} else {
		for sub, tower := range map[string]*Bert{"query": b.Query, "document": b.Doc} {
			if err := (&Model{Bert: tower, Vocab: m.Vocab, Lower: m.Lower}).Save(filepath.Join(dir, sub)); err != nil {
				return err
			}
		}
	}
	data, _ := json.MarshalIndent(meta, "", "  ")
	return atomicfile.Write(filepath.Join(dir, BiEncoderFile), append(data, '\n'))
}

// LoadBiEncoder reads a bi-encoder directory (see BiEncoderFile). The
// returned Model holds the query tower and the tokenizer.
func LoadBiEncoder(dir string) (*BiEncoder, *Model, []string, error) {
	meta := biEncoderMeta{Shared: true, Pooling: "cls"}
	path := filepath.Join(dir, BiEncoderFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, nil, nil, fmt.Errorf("nn: %w", err)
	default:
		if err := json.Unmarshal(data, &meta); err != nil {
			return nil, nil, nil, fmt.Errorf("nn: %s: %v", path, err)
		}
	}
	b := &BiEncoder{Normalize: meta.Normalize, Temperature: meta.Temperature}
	switch meta.Pooling {
	case "cls":
		b.Pooling = PoolCLS
	case "mean":
		b.Pooling = PoolMean
	default:
		return nil, nil, nil, fmt.Errorf("nn: %s: field pooling is %q; want cls or mean", path, meta.Pooling)
	}
	if meta.Shared {
		m, notices, err := LoadModel(dir)
		if err != nil {
			return nil, nil, nil, err
		}
		b.Query, b.Doc = m.Bert, m.Bert
		return b, m, notices, nil
	}
	q, nq, err := LoadModel(filepath.Join(dir, "query"))
	if err != nil {
		return nil, nil, nil, err
	}
	d, nd, err := LoadModel(filepath.Join(dir, "document"))
	if err != nil {
		return nil, nil, nil, err
	}
	if d.Vocab.Len() != q.Vocab.Len() || d.Lower != q.Lower {
		return nil, nil, nil, fmt.Errorf("nn: %s: the query and document towers have different tokenizers", dir)
	}
	b.Query, b.Doc = q.Bert, d.Bert
	return b, q, append(nq, nd...), nil
}
