package retrieval

import (
	"strings"
	"testing"
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
