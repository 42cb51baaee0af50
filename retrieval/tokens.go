package retrieval

import (
	"fmt"
	"sort"

	"github.com/rrra/rrra/tensor"
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

// DocTokens encodes document texts with the document tower, as Docs does,
// and returns their last-layer token states (before pooling), at most
// DocMaxLen per document. Memory: Σ tokens · Dim · 4 bytes (SciFact's
// 5,183 abstracts at 128 tokens and d = 64: 170 MB).
func (e *Encoder) DocTokens(texts []string, progress func(done int)) (*TokenStates, error) {
	if e.tape == nil {
		e.newTape()
	}
	if e.Batch < 1 {
		return nil, fmt.Errorf("retrieval: encoder batch %d", e.Batch)
	}
	tower := e.Bi.Doc
	h := tower.Config.HiddenSize
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(texts[order[a]]) > len(texts[order[b]]) })
	per := make([][]float32, len(texts))
	for lo := 0; lo < len(order); lo += e.Batch {
		hi := min(lo+e.Batch, len(order))
		e.texts = e.texts[:0]
		for _, i := range order[lo:hi] {
			e.texts = append(e.texts, texts[i])
		}
		e.Tok.EncodeBatch(&e.batch, e.texts, e.DocMaxLen)
		mask, err := tensor.FromData(tensor.S(e.batch.B, e.batch.T), e.batch.Mask)
		if err != nil {
			return nil, err
		}
		e.tape.Reset()
		hs := tower.Forward(e.tape, e.batch.IDs, nil, mask)
		if err := e.tape.Err(); err != nil {
			return nil, fmt.Errorf("retrieval: encoding tokens: %w", err)
		}
		t := e.batch.T
		for r, i := range order[lo:hi] {
			for j := 0; j < t; j++ {
				if e.batch.Mask[r*t+j] != 0 {
					per[i] = append(per[i], hs.Data()[(r*t+j)*h:(r*t+j+1)*h]...)
				}
			}
		}
		if progress != nil {
			progress(hi)
		}
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
