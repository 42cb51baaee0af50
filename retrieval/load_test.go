package retrieval

import (
	"math"
	"strings"
	"testing"

	"github.com/rrra/rrra/tensor"
)

func TestLoadEncoder(t *testing.T) {
	const dir = "testdata/mini-model"
	enc, err := LoadEncoder(dir, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// mini-model: hidden 64, max_position_embeddings 512, mean pooling,
	// normalised, temperature 0.05, as rrra train wrote it.
	if enc.Dim() != 64 || enc.QueryMaxLen != 32 || enc.DocMaxLen != 128 || !enc.Bi.Normalize || enc.Bi.Temperature != 0.05 || enc.Model == nil {
		t.Fatalf("loaded dim %d, lengths %d/%d, normalize %v, τ %g", enc.Dim(), enc.QueryMaxLen, enc.DocMaxLen, enc.Bi.Normalize, enc.Bi.Temperature)
	}
	for _, c := range []struct {
		opts EncoderOptions
		want string
	}{
		{EncoderOptions{DocLen: 513}, "document length 513 exceeds the model's max_position_embeddings 512"},
		{EncoderOptions{QueryLen: 2}, "want ≥ 3"},
		{EncoderOptions{DocLen: -1}, "want ≥ 3"},
	} {
		if _, err := LoadEncoder(dir, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadEncoder(%+v): %v, want an error containing %q", c.opts, err, c.want)
		}
	}
	// A model whose limit is below the defaults gets its limit.
	enc, err = LoadEncoder("../nn/testdata/tinybert", EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if max := enc.Bi.Doc.Config.MaxPositionEmbeddings; enc.DocMaxLen != min(128, max) || enc.QueryMaxLen != min(32, max) {
		t.Errorf("tinybert (limit %d): lengths %d/%d", max, enc.QueryMaxLen, enc.DocMaxLen)
	}
	if _, err := LoadEncoder("testdata/no-such-model", EncoderOptions{}); err == nil {
		t.Error("a missing directory loaded")
	}
}

func TestIndexVectors(t *testing.T) {
	corpus := &TrainData{DocIDs: []string{"a", "b"}}
	for _, c := range []struct {
		shape tensor.Shape
		data  []float32
		want  string
	}{
		{tensor.S(2, 2), []float32{1, 0, 0, 1}, ""},
		{tensor.S(3, 2), make([]float32, 6), "shape"},
		{tensor.S(2, 2), []float32{1, 0, float32(math.NaN()), 1}, `row 1 (document "b"), column 0 holds NaN`},
		{tensor.S(2, 2), []float32{1, float32(math.Inf(1)), 0, 1}, "row 0"},
	} {
		v, err := tensor.FromData(c.shape, c.data)
		if err != nil {
			t.Fatal(err)
		}
		ix, err := IndexVectors(corpus, v, "v.npy")
		switch {
		case c.want == "" && (err != nil || ix.Len() != 2):
			t.Errorf("%v: %v", c.data, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "v.npy")):
			t.Errorf("%v: %v, want an error naming v.npy and containing %q", c.data, err, c.want)
		}
	}
}
