package retrieval

import (
	"fmt"
	"sort"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
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

	tape    *autograd.Tape
	ids     []int32 // a batch's token ids, packed
	offsets []int   // where each of its sequences starts
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
	if _, err := e.prompted(nil, e.QueryPrompt); err != nil {
		return nil, err
	}
	return e.encode(e.Bi.Query, texts, e.QueryPrompt, e.QueryMaxLen, progress)
}

// Docs encodes document texts, each after DocPrompt, with the document
// tower.
func (e *Encoder) Docs(texts []string, progress func(done int)) ([]float32, error) {
	if _, err := e.prompted(nil, e.DocPrompt); err != nil {
		return nil, err
	}
	return e.encode(e.Bi.Doc, texts, e.DocPrompt, e.DocMaxLen, progress)
}

// prompted returns texts with prompt put before each (texts itself when
// prompt is empty), or the error that refuses prompt. Encoding checks a
// prompt with prompted(nil, prompt) and puts it before each text as it
// tokenises it (wordpiece's EncodePrefixed), copying no text.
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

func (e *Encoder) encode(tower *nn.Bert, texts []string, prompt string, maxLen int, progress func(int)) ([]float32, error) {
	h := tower.Config.HiddenSize
	out := make([]float32, len(texts)*h)
	err := e.forEachBatch(tower, texts, prompt, maxLen, progress, func(batch []int, hs *autograd.Var) {
		v := nn.PoolPacked(e.tape, hs, e.offsets, e.Bi.Pooling, e.Bi.Normalize)
		if e.tape.Err() != nil {
			return
		}
		for r, i := range batch {
			copy(out[i*h:(i+1)*h], v.Data()[r*h:(r+1)*h])
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// forEachBatch runs tower over texts, each after prompt, in batches of
// e.Batch, longest first (by byte length, a proxy for token count; the
// order depends on the texts alone, so results do not depend on anything
// else). A batch's sequences are laid end to end without padding
// (Bert.ForwardPacked), so no work is spent on padding tokens; use gets
// the batch's text indices and its packed hidden states, e.offsets
// telling where each sequence starts. Texts are tokenised only as far as
// maxLen tokens need, the prompt put before each without copying it.
func (e *Encoder) forEachBatch(tower *nn.Bert, texts []string, prompt string, maxLen int, progress func(int), use func(batch []int, hs *autograd.Var)) error {
	if e.tape == nil {
		e.newTape()
	}
	if e.Batch < 1 {
		return fmt.Errorf("retrieval: encoder batch %d", e.Batch)
	}
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(texts[order[a]]) > len(texts[order[b]]) })
	for lo := 0; lo < len(order); lo += e.Batch {
		hi := min(lo+e.Batch, len(order))
		e.ids, e.offsets = e.ids[:0], append(e.offsets[:0], 0)
		for _, i := range order[lo:hi] {
			e.ids = e.Tok.EncodePrefixed(e.ids, prompt, texts[i], maxLen)
			e.offsets = append(e.offsets, len(e.ids))
		}
		// An error belongs to the call that met it (returned below): the
		// tape keeps it across Reset, which would fail every later call.
		e.tape.Reset()
		e.tape.ClearErr()
		hs := tower.ForwardPacked(e.tape, e.ids, nil, e.offsets)
		if err := e.tape.Err(); err != nil {
			return fmt.Errorf("retrieval: encoding: %w", err)
		}
		use(order[lo:hi], hs)
		if err := e.tape.Err(); err != nil {
			return fmt.Errorf("retrieval: encoding: %w", err)
		}
		if progress != nil {
			progress(hi)
		}
	}
	return nil
}

// newTape makes the encoder's inference tape: no gradients, no dropout.
func (e *Encoder) newTape() {
	e.tape = autograd.NewTape(0)
	e.tape.NoGrad(true)
	e.tape.SetTraining(false)
}
