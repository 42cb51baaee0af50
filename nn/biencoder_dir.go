package nn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rrra/rrra/internal/atomicdir"
	"github.com/rrra/rrra/internal/atomicfile"
)

// BiEncoderFile is the file in a bi-encoder directory that records how the
// towers are pooled and scored. A directory without it is either a
// sentence-transformers folder (SentenceTransformersModules present: its
// Pooling and Normalize modules decide) or one Hugging Face model used for
// both towers with CLS pooling and dot-product scores.
//
// Layout: with shared towers the directory itself is a Hugging Face model
// directory (config.json, model.safetensors, vocab.txt,
// tokenizer_config.json) plus BiEncoderFile and the sentence-transformers
// files (modules.json, 1_Pooling/config.json, 2_Normalize/ when
// normalised, sentence_bert_config.json, config_sentence_transformers.json),
// so that it loads unchanged in sentence-transformers; with separate
// towers the subdirectories query/ and document/ are one model directory
// each, and BiEncoderFile and config_sentence_transformers.json (the
// prompts) sit beside them (sentence-transformers has no layout for two
// towers). Each tower loads in Python with
// transformers.BertModel.from_pretrained.
const BiEncoderFile = "rrra_biencoder.json"

type biEncoderMeta struct {
	Shared      bool    `json:"shared"`
	Pooling     string  `json:"pooling"`
	Normalize   bool    `json:"normalize"`
	Temperature float32 `json:"temperature"`
}

// SaveBiEncoder writes b, whose towers use m's vocabulary, lower-casing
// and sentence-transformers settings, to dir in the layout described at
// BiEncoderFile.
//
// The folder is replaced as a whole (internal/atomicdir): the new files
// are written to a temporary folder beside dir, synced, and swapped in,
// so that a reader, a crash or a full disk finds either the old folder
// or the whole new one. The folder becomes exactly what is written here:
// files the old one held that SaveBiEncoder does not write (an adapter
// file, a README) are gone. A save refuses, leaving dir alone, when
// another save to dir is under way (the error wraps atomicdir.ErrBusy),
// when dir is not a directory, and when it is a non-empty directory
// without config.json, rrra_biencoder.json or modules.json (not a model
// folder, so probably not one to lose); CheckSaveDir tells beforehand.
func SaveBiEncoder(dir string, b *BiEncoder, m *Model) error {
	return SaveBiEncoderWith(dir, b, m, nil)
}

// SaveBiEncoderWith is SaveBiEncoder that also lets extra, when not nil,
// write more files into the new folder before it replaces dir: extra is
// called with the temporary folder's path once the bi-encoder's files
// are in it. The extra files are swapped in with the rest, so the folder
// never holds a model without them or with an earlier save's; an error
// from extra leaves dir as it was.
func SaveBiEncoderWith(dir string, b *BiEncoder, m *Model, extra func(tmp string) error) error {
	return atomicdir.Write(dir, saveOptions(), func(tmp string) error {
		if err := writeBiEncoder(tmp, b, m); err != nil {
			return err
		}
		if extra != nil {
			return extra(tmp)
		}
		return nil
	})
}

// CheckSaveDir returns the error SaveBiEncoder or Model.Save would refuse
// dir with because of what is there now (see SaveBiEncoder), nil when
// nothing is against it: a caller about to train can refuse at once
// rather than after the training.
func CheckSaveDir(dir string) error {
	return atomicdir.Check(dir, saveOptions())
}

// saveOptions says which folders a save may replace: empty ones and model
// folders, which hold one of these files.
func saveOptions() atomicdir.Options {
	return atomicdir.Options{Markers: []string{ConfigFile, BiEncoderFile, SentenceTransformersModules}}
}

// writeBiEncoder writes the files of the bi-encoder folder into dir, a
// new empty directory.
func writeBiEncoder(dir string, b *BiEncoder, m *Model) error {
	meta := biEncoderMeta{Shared: b.Query == b.Doc, Pooling: "cls", Normalize: b.Normalize, Temperature: b.Temperature}
	if b.Pooling == PoolMean {
		meta.Pooling = "mean"
	}
	if meta.Shared {
		if err := (&Model{Bert: b.Query, Vocab: m.Vocab, Lower: m.Lower}).write(dir); err != nil {
			return err
		}
		if err := writeSTFiles(dir, b, m); err != nil {
			return err
		}
	} else {
		for _, sub := range []string{"query", "document"} {
			tower := b.Query
			if sub == "document" {
				tower = b.Doc
			}
			sd := filepath.Join(dir, sub)
			if err := os.Mkdir(sd, 0o777); err != nil {
				return fmt.Errorf("nn: %w", err)
			}
			if err := (&Model{Bert: tower, Vocab: m.Vocab, Lower: m.Lower}).write(sd); err != nil {
				return err
			}
		}
		// The prompts, which the towers share.
		if err := writePromptsFile(dir, b, m); err != nil {
			return err
		}
	}
	data, _ := json.MarshalIndent(meta, "", "  ")
	return atomicfile.Write(filepath.Join(dir, BiEncoderFile), append(data, '\n'))
}

// LoadBiEncoder reads a bi-encoder directory (see BiEncoderFile) or a
// sentence-transformers folder. The returned Model holds the query tower,
// the tokenizer and the folder's sentence-transformers settings (maximum
// length, prompts). When a directory has both BiEncoderFile and
// modules.json, their pooling and normalisation must agree.
func LoadBiEncoder(dir string) (*BiEncoder, *Model, []string, error) {
	meta := biEncoderMeta{Shared: true, Pooling: "cls"}
	path := filepath.Join(dir, BiEncoderFile)
	data, err := os.ReadFile(path)
	hasMeta := err == nil
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, nil, nil, fmt.Errorf("nn: %w", err)
	default:
		if err := json.Unmarshal(data, &meta); err != nil {
			return nil, nil, nil, fmt.Errorf("nn: %s: %v", path, fieldError(err))
		}
		if err := CheckTemperature(meta.Temperature); err != nil {
			return nil, nil, nil, fmt.Errorf("nn: %s: field temperature: %w", path, err)
		}
	}
	st, stNotices, err := readSTFolder(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	if st != nil {
		return loadSTBiEncoder(dir, st, stNotices, meta, hasMeta)
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
	// Prompts (config_sentence_transformers.json) sit beside
	// rrra_biencoder.json when there is no modules.json: a folder rrra
	// wrote before it wrote the sentence-transformers layout, or
	// separate towers, which that layout cannot describe.
	pr := &stFolder{includePrompt: true, normalize: b.Normalize}
	np, err := pr.readPrompts(filepath.Join(dir, SentenceTransformersConfig))
	if err != nil {
		return nil, nil, nil, err
	}
	if meta.Shared {
		m, notices, err := LoadModel(dir)
		if err != nil {
			return nil, nil, nil, err
		}
		m.Prompts, m.DefaultPromptName = pr.prompts, pr.defaultPrompt
		b.Query, b.Doc = m.Bert, m.Bert
		return b, m, append(notices, np...), nil
	}
	q, nq, err := LoadModel(filepath.Join(dir, "query"))
	if err != nil {
		return nil, nil, nil, err
	}
	d, nd, err := LoadModel(filepath.Join(dir, "document"))
	if err != nil {
		return nil, nil, nil, err
	}
	q.Prompts, q.DefaultPromptName = pr.prompts, pr.defaultPrompt
	nd = append(nd, np...)
	if d.Vocab.Len() != q.Vocab.Len() || d.Lower != q.Lower {
		return nil, nil, nil, fmt.Errorf("nn: %s: the query and document towers have different tokenizers", dir)
	}
	for i := 0; i < q.Vocab.Len(); i++ {
		if q.Vocab.Token(int32(i)) != d.Vocab.Token(int32(i)) {
			return nil, nil, nil, fmt.Errorf("nn: %s: the query and document towers have different tokenizers: token %d is %q in query/vocab.txt and %q in document/vocab.txt", dir, i, q.Vocab.Token(int32(i)), d.Vocab.Token(int32(i)))
		}
	}
	if qh, dh := q.Bert.Config.HiddenSize, d.Bert.Config.HiddenSize; qh != dh {
		return nil, nil, nil, fmt.Errorf("nn: %s: the query tower (query/config.json) has hidden_size %d and the document tower (document/config.json) %d: their scores would be inner products of vectors of different widths", dir, qh, dh)
	}
	b.Query, b.Doc = q.Bert, d.Bert
	return b, q, append(nq, nd...), nil
}

// loadSTBiEncoder loads a sentence-transformers folder as a shared-tower
// bi-encoder, checking it against rrra_biencoder.json when that is present.
func loadSTBiEncoder(dir string, st *stFolder, notices []string, meta biEncoderMeta, hasMeta bool) (*BiEncoder, *Model, []string, error) {
	path := filepath.Join(dir, BiEncoderFile)
	if hasMeta {
		pool := "cls"
		if st.pooling == PoolMean {
			pool = "mean"
		}
		switch {
		case !meta.Shared:
			return nil, nil, nil, fmt.Errorf("nn: %s: field shared is false, but %s describes one model", path, filepath.Join(dir, SentenceTransformersModules))
		case meta.Pooling != pool:
			return nil, nil, nil, fmt.Errorf("nn: %s: field pooling is %q, but %s asks for %s pooling", path, meta.Pooling, st.poolingPath, pool)
		case meta.Normalize != st.normalize:
			return nil, nil, nil, fmt.Errorf("nn: %s: field normalize is %v, but %s has a Normalize module: %v", path, meta.Normalize, filepath.Join(dir, SentenceTransformersModules), st.normalize)
		}
	}
	m, mNotices, err := LoadModel(st.transformerDir)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := st.apply(m); err != nil {
		return nil, nil, nil, err
	}
	b := &BiEncoder{Query: m.Bert, Doc: m.Bert, Pooling: st.pooling, Normalize: st.normalize, Temperature: meta.Temperature}
	return b, m, append(mNotices, notices...), nil
}
