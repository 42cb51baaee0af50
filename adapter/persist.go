package adapter

import (
	"fmt"
	"strconv"

	"github.com/rrra/rrra/tensor"
)

// File is the name of the adapter file in a bi-encoder directory.
const File = "rrra_adapter.safetensors"

const fileFormat = "rrra-adapter-1"

// Bounds on an adapter file's sizes, checked before anything is allocated.
const (
	maxFolds       = 100     // as the folds parameter allows
	maxAdapterSize = 1 << 16 // dimension and hidden width
)

// Save writes adapters (one per cross-fitting fold) to path as safetensors
// ("fold<i>.<parameter>"), with their shape in the metadata, atomically.
func Save(path string, adapters []*Adapter) error {
	if len(adapters) == 0 {
		return fmt.Errorf("adapter: Save %s: no adapters", path)
	}
	c := adapters[0].Cfg
	meta := map[string]string{
		"format":  fileFormat,
		"folds":   strconv.Itoa(len(adapters)),
		"dim":     strconv.Itoa(c.Dim),
		"hidden":  strconv.Itoa(c.Hidden),
		"dropout": strconv.FormatFloat(float64(c.Dropout), 'g', -1, 32),
	}
	// The features, under the names of the parameter table.
	sc := SamplerConfig{Features: c.Features}
	for _, p := range paramTable {
		if featureParams[p.Name] {
			meta[p.Name] = p.get(&sc)
		}
	}
	var named []tensor.Named
	for f, a := range adapters {
		if a.Cfg != c {
			return fmt.Errorf("adapter: Save %s: fold %d has another shape", path, f)
		}
		for i := 0; i < a.Params.Len(); i++ {
			named = append(named, tensor.Named{Name: fmt.Sprintf("fold%d.%s", f, a.Params.Name(i)), Tensor: &a.Params.Var(i).Value})
		}
	}
	return tensor.WriteSafetensorsFile(path, named, meta)
}

// Load reads adapters written by Save. Every parameter of every fold must
// be present with its shape, and nothing else.
func Load(path string) ([]*Adapter, error) {
	f, err := tensor.ReadSafetensorsFile(path)
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) ([]*Adapter, error) {
		return nil, fmt.Errorf("adapter: %s: %s", path, fmt.Sprintf(format, args...))
	}
	if f.Metadata["format"] != fileFormat {
		return fail("field format is %q, want %q", f.Metadata["format"], fileFormat)
	}
	atoi := func(k string) (int, error) {
		v, err := strconv.Atoi(f.Metadata[k])
		if err != nil {
			return 0, fmt.Errorf("field %s is %q, not an integer", k, f.Metadata[k])
		}
		return v, nil
	}
	folds, err := atoi("folds")
	if err != nil {
		return fail("%v", err)
	}
	var cfg Config
	if cfg.Dim, err = atoi("dim"); err != nil {
		return fail("%v", err)
	}
	if cfg.Hidden, err = atoi("hidden"); err != nil {
		return fail("%v", err)
	}
	dr, err := strconv.ParseFloat(f.Metadata["dropout"], 32)
	if err != nil {
		return fail("field dropout is %q", f.Metadata["dropout"])
	}
	cfg.Dropout = float32(dr)
	if cfg.Features, err = readFeatures(f.Metadata); err != nil {
		return fail("%v", err)
	}
	// The sizes are checked before any adapter is allocated: a header
	// naming a dimension of 10⁹ must not allocate 10⁹·hidden floats.
	switch {
	case folds < 1 || folds > maxFolds:
		return fail("field folds is %d; want 1 to %d", folds, maxFolds)
	case cfg.Dim < 1 || cfg.Dim > maxAdapterSize:
		return fail("field dim is %d; want 1 to %d", cfg.Dim, maxAdapterSize)
	case cfg.Hidden < 1 || cfg.Hidden > maxAdapterSize:
		return fail("field hidden is %d; want 1 to %d", cfg.Hidden, maxAdapterSize)
	case !(dr >= 0 && dr < 1):
		return fail("field dropout is %g; want 0 or more, below 1", dr)
	}
	stored := 0
	for _, t := range f.Tensors {
		stored += t.Shape.Numel()
	}
	if need := folds * cfg.Dim * cfg.Hidden; need > stored {
		return fail("fields folds %d, dim %d and hidden %d need at least %d weights; the file holds %d", folds, cfg.Dim, cfg.Hidden, need, stored)
	}
	var out []*Adapter
	used := 0
	for fo := 0; fo < folds; fo++ {
		a, err := New(cfg, 0)
		if err != nil {
			return fail("%v", err)
		}
		for i := 0; i < a.Params.Len(); i++ {
			name := fmt.Sprintf("fold%d.%s", fo, a.Params.Name(i))
			t := f.Tensors[name]
			if t == nil {
				return fail("tensor %q is missing", name)
			}
			v := a.Params.Var(i)
			if t.Shape != v.Shape() {
				return fail("tensor %q has shape %v, want %v", name, t.Shape, v.Shape())
			}
			copy(v.Value.Data, t.Data)
			used++
		}
		out = append(out, a)
	}
	if used != len(f.Names) {
		return fail("holds %d tensors, %d folds of this adapter have %d", len(f.Names), folds, used)
	}
	return out, nil
}

// featureParams names the parameters that set Features: what Save
// records of each adapter's shape besides its sizes.
var featureParams = map[string]bool{"adapter": true, "no_residual": true, "score_feature": true, "rel_feature": true,
	"lex_feature": true, "pos_feature": true, "pos_lex_feature": true, "no_vectors": true}

// readFeatures reads Features from an adapter file's metadata, written
// under the parameter table's names, or under the names files written
// before it used ("token", "pos_lex"; absent fields false).
func readFeatures(meta map[string]string) (Features, error) {
	var sc SamplerConfig
	legacy := map[string]string{"pos_lex_feature": "pos_lex"}
	for _, p := range paramTable {
		if !featureParams[p.Name] {
			continue
		}
		v, ok := meta[p.Name]
		if !ok {
			v, ok = meta[legacy[p.Name]]
		}
		if !ok && p.Name == "adapter" {
			v, ok = "A", true
			if meta["token"] == "true" {
				v = "B"
			}
		}
		if !ok {
			continue
		}
		if err := p.set(&sc, v); err != nil {
			return Features{}, fmt.Errorf("field %s is %q: %v", p.Name, v, err)
		}
	}
	return sc.Features, nil
}
