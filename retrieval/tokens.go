package retrieval

import (
	"fmt"

	"github.com/rrra/rrra/autograd"
)

// TokenStates holds the last-layer hidden states of the tokens of a set of
// documents (padding excluded, [CLS] and [SEP] included), each document's
// rows one after another: document i has rows Off[i] to Off[i+1] of Dim
// values. Adapter B reads them.
type TokenStates struct {
	Dim  int
	Off  []int // len(documents)+1 row offsets
	Data []float32
}

// Len returns the number of documents.
func (t *TokenStates) Len() int { return len(t.Off) - 1 }

// Doc returns document i's token states, Tokens(i)·Dim values.
func (t *TokenStates) Doc(i int) []float32 { return t.Data[t.Off[i]*t.Dim : t.Off[i+1]*t.Dim] }

// Tokens returns the number of tokens of document i.
func (t *TokenStates) Tokens(i int) int { return t.Off[i+1] - t.Off[i] }

// MaxTokens returns the longest document's token count.
func (t *TokenStates) MaxTokens() int {
	m := 0
	for i := 0; i < t.Len(); i++ {
		m = max(m, t.Tokens(i))
	}
	return m
}

// DocTokens encodes document texts with the document tower, as Docs does
// (DocPrompt included), and returns their last-layer token states (before
// pooling), at most DocMaxLen per document. Memory: Σ tokens · Dim · 4
// bytes (SciFact's 5,183 abstracts at 128 tokens and d = 64: 170 MB).
func (e *Encoder) DocTokens(texts []string, progress func(done int)) (*TokenStates, error) {
	if _, err := e.prompted(nil, e.DocPrompt); err != nil {
		return nil, err
	}
	h := e.Bi.Doc.Config.HiddenSize
	per := make([][]float32, len(texts))
	err := e.forEachBatch(e.Bi.Doc, texts, e.DocPrompt, e.DocMaxLen, progress, func(batch []int, hs *autograd.Var) {
		for r, i := range batch {
			per[i] = append([]float32(nil), hs.Data()[e.offsets[r]*h:e.offsets[r+1]*h]...)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("retrieval: encoding tokens: %w", err)
	}
	ts := &TokenStates{Dim: h, Off: make([]int, len(texts)+1)}
	for i, p := range per {
		ts.Off[i+1] = ts.Off[i] + len(p)/h
	}
	ts.Data = make([]float32, ts.Off[len(texts)]*h)
	for i, p := range per {
		copy(ts.Data[ts.Off[i]*h:], p)
	}
	return ts, nil
}
