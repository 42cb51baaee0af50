package retrieval

import (
	"fmt"
	"sort"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/tensor"
)

// An Encoder turns texts into the bi-encoder's vectors, in inference mode
// (no dropout, no gradients), in batches of texts of similar length so that
// little of the work is padding.
type Encoder struct {
	Bi          *nn.BiEncoder
	Tok         *wordpiece.Tokenizer
	QueryMaxLen int // longest query in tokens, [CLS] and [SEP] included
	DocMaxLen   int // longest document in tokens
	Batch       int // texts encoded together
	// Model holds the vocabulary and tokenizer settings of a model that
	// LoadEncoder read, for saving it again (nil otherwise).
	Model *nn.Model
	// QueryPrompt and DocPrompt are put before every query and every
	// document text ("query: ", say) by Queries and Docs; "" puts nothing.
	// LoadEncoder sets them from the model folder's named prompts.
	QueryPrompt, DocPrompt string
	// PromptExcluded records that the model pools without the prompt's
	// tokens (a sentence-transformers pooling config's include_prompt
	// false), which rrra does not implement: with mean pooling, Queries
	// and Docs refuse to apply a prompt.
	PromptExcluded bool

	tape  *autograd.Tape
	batch wordpiece.Batch
	texts []string
}

// NewEncoder returns an Encoder with batches of 64.
func NewEncoder(bi *nn.BiEncoder, tok *wordpiece.Tokenizer, queryMaxLen, docMaxLen int) *Encoder {
	return &Encoder{Bi: bi, Tok: tok, QueryMaxLen: queryMaxLen, DocMaxLen: docMaxLen, Batch: 64}
}

// Dim returns the length of the vectors.
func (e *Encoder) Dim() int { return e.Bi.Doc.Config.HiddenSize }

// LogitScale returns 1/τ, what turns the bi-encoder's scores into the
// logits its training loss sees (1 when it has no temperature).
func (e *Encoder) LogitScale() float32 {
	if tau := e.Bi.Temperature; tau != 0 {
		return 1 / tau
	}
	return 1
}

// Queries encodes query texts, each after QueryPrompt, with the query
// tower; it returns len(texts)·Dim() values, row i for texts[i].
func (e *Encoder) Queries(texts []string, progress func(done int)) ([]float32, error) {
	texts, err := e.prompted(texts, e.QueryPrompt)
	if err != nil {
		return nil, err
	}
	return e.encode(e.Bi.Query, texts, e.QueryMaxLen, progress)
}

// Docs encodes document texts, each after DocPrompt, with the document
// tower.
func (e *Encoder) Docs(texts []string, progress func(done int)) ([]float32, error) {
	texts, err := e.prompted(texts, e.DocPrompt)
	if err != nil {
		return nil, err
	}
	return e.encode(e.Bi.Doc, texts, e.DocMaxLen, progress)
}

// prompted returns texts with prompt put before each (texts itself when
// prompt is empty).
func (e *Encoder) prompted(texts []string, prompt string) ([]string, error) {
	if prompt == "" {
		return texts, nil
	}
	if e.PromptExcluded && e.Bi.Pooling == nn.PoolMean {
		return nil, fmt.Errorf("retrieval: prompt %q: the model pools without its prompt's tokens (include_prompt false), which rrra does not implement", prompt)
	}
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = prompt + t
	}
	return out, nil
}

func (e *Encoder) encode(tower *nn.Bert, texts []string, maxLen int, progress func(int)) ([]float32, error) {
	if e.tape == nil {
		e.newTape()
	}
	if e.Batch < 1 {
		return nil, fmt.Errorf("retrieval: encoder batch %d", e.Batch)
	}
	h := tower.Config.HiddenSize
	out := make([]float32, len(texts)*h)
	// Longest first, by byte length as a proxy for token count; the order
	// is fixed by the texts alone, so results do not depend on anything else.
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(texts[order[a]]) > len(texts[order[b]]) })
	for lo := 0; lo < len(order); lo += e.Batch {
		hi := min(lo+e.Batch, len(order))
		e.texts = e.texts[:0]
		for _, i := range order[lo:hi] {
			e.texts = append(e.texts, texts[i])
		}
		e.Tok.EncodeBatch(&e.batch, e.texts, maxLen)
		mask, err := tensor.FromData(tensor.S(e.batch.B, e.batch.T), e.batch.Mask)
		if err != nil {
			return nil, err
		}
		e.tape.Reset()
		v := nn.Pool(e.tape, tower.Forward(e.tape, e.batch.IDs, nil, mask), mask, e.Bi.Pooling, e.Bi.Normalize)
		if err := e.tape.Err(); err != nil {
			return nil, fmt.Errorf("retrieval: encoding: %w", err)
		}
		for r, i := range order[lo:hi] {
			copy(out[i*h:(i+1)*h], v.Data()[r*h:(r+1)*h])
		}
		if progress != nil {
			progress(hi)
		}
	}
	return out, nil
}

// newTape makes the encoder's inference tape: no gradients, no dropout.
func (e *Encoder) newTape() {
	e.tape = autograd.NewTape(0)
	e.tape.NoGrad(true)
	e.tape.SetTraining(false)
}
