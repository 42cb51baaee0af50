package wordpiece

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"
)

// TrainOptions configure Train.
type TrainOptions struct {
	// VocabSize is the number of tokens wanted, special tokens included.
	VocabSize int
	// MinFrequency is the least number of occurrences of a pair worth
	// merging (0 means 2).
	MinFrequency int
	// Lower selects the uncased normalisation, as for New.
	Lower bool
}

// Train learns a WordPiece vocabulary from texts the way Hugging Face's
// WordPieceTrainer does: the texts are normalised and split into words as
// the tokenizer does; every character is a token (word-initial, or with
// the "##" continuation prefix); then the most frequent adjacent pair of
// tokens, counted over all word occurrences, is merged into a new token,
// repeatedly, until the vocabulary reaches opt.VocabSize or no pair occurs
// MinFrequency times. Ties go to the pair whose merged token sorts first, so
// the result is deterministic. The special tokens [PAD], [UNK], [CLS],
// [SEP] and [MASK] come first. next returns the texts one by one and false
// at the end.
// TrainTexts is Train over the texts of a slice.
func TrainTexts(texts []string, opt TrainOptions) (*Vocab, error) {
	i := 0
	return Train(func() (string, bool) {
		if i == len(texts) {
			return "", false
		}
		i++
		return texts[i-1], true
	}, opt)
}

func Train(next func() (string, bool), opt TrainOptions) (*Vocab, error) {
	specials := []string{PadToken, UnkToken, ClsToken, SepToken, MaskToken}
	if opt.VocabSize < len(specials)+1 {
		return nil, fmt.Errorf("wordpiece: Train: vocabulary size %d leaves no room beside the %d special tokens", opt.VocabSize, len(specials))
	}
	minFreq := opt.MinFrequency
	if minFreq <= 0 {
		minFreq = 2
	}
	// Count words.
	norm := &Tokenizer{lower: opt.Lower}
	counts := map[string]int{}
	for {
		text, ok := next()
		if !ok {
			break
		}
		norm.words("", text, func(w []rune) bool {
			if len(w) <= MaxWordChars {
				counts[string(w)]++
			}
			return true
		})
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Strings(words)

	// Symbols: strings interned as ids; each word a sequence of symbol ids.
	var syms []string
	symID := map[string]int32{}
	intern := func(s string) int32 {
		if id, ok := symID[s]; ok {
			return id
		}
		symID[s] = int32(len(syms))
		syms = append(syms, s)
		return int32(len(syms) - 1)
	}
	seqs := make([][]int32, len(words))
	freq := make([]int, len(words))
	charFreq := map[string]int{}
	for i, w := range words {
		freq[i] = counts[w]
		j := 0
		for _, r := range w {
			s := string(r)
			if j > 0 {
				s = "##" + s
			}
			j++
			seqs[i] = append(seqs[i], intern(s))
			charFreq[s] += freq[i]
		}
	}
	// The alphabet, most frequent first.
	alphabet := make([]string, 0, len(charFreq))
	for s := range charFreq {
		alphabet = append(alphabet, s)
	}
	sort.Slice(alphabet, func(a, b int) bool {
		if charFreq[alphabet[a]] != charFreq[alphabet[b]] {
			return charFreq[alphabet[a]] > charFreq[alphabet[b]]
		}
		return alphabet[a] < alphabet[b]
	})
	vocab := append([]string(nil), specials...)
	inVocab := map[string]bool{}
	for _, s := range specials {
		inVocab[s] = true
	}
	for _, s := range alphabet {
		if len(vocab) >= opt.VocabSize {
			break
		}
		if !inVocab[s] {
			vocab = append(vocab, s)
			inVocab[s] = true
		}
	}

	// Pair counts and, per pair, the words where it occurs.
	type pair [2]int32
	pairCount := map[pair]int{}
	where := map[pair]map[int]bool{}
	addWord := func(i, sign int) {
		s := seqs[i]
		for k := 0; k+1 < len(s); k++ {
			p := pair{s[k], s[k+1]}
			pairCount[p] += sign * freq[i]
			if sign > 0 {
				if where[p] == nil {
					where[p] = map[int]bool{}
				}
				where[p][i] = true
			}
		}
	}
	for i := range seqs {
		addWord(i, 1)
	}
	merged := func(p pair) string { return syms[p[0]] + strings.TrimPrefix(syms[p[1]], "##") }
	h := &pairHeap{}
	for p, c := range pairCount {
		heap.Push(h, pairItem{p, c, merged(p)})
	}
	for len(vocab) < opt.VocabSize && h.Len() > 0 {
		it := heap.Pop(h).(pairItem)
		p := pair(it.p)
		if c := pairCount[p]; c != it.count {
			if c > 0 {
				heap.Push(h, pairItem{p, c, it.tok}) // stale entry: requeue with the current count
			}
			continue
		}
		if it.count < minFreq {
			break
		}
		newID := intern(it.tok)
		if !inVocab[it.tok] {
			vocab = append(vocab, it.tok)
			inVocab[it.tok] = true
		}
		touched := map[pair]bool{}
		ids := make([]int, 0, len(where[p]))
		for i := range where[p] {
			ids = append(ids, i)
		}
		sort.Ints(ids)
		for _, i := range ids {
			s := seqs[i]
			for k := 0; k+1 < len(s); k++ { // old pairs out
				touched[pair{s[k], s[k+1]}] = true
			}
			addWord(i, -1)
			out := s[:0]
			for k := 0; k < len(s); k++ {
				if k+1 < len(s) && s[k] == p[0] && s[k+1] == p[1] {
					out = append(out, newID)
					k++
				} else {
					out = append(out, s[k])
				}
			}
			seqs[i] = out
			addWord(i, 1)
			for k := 0; k+1 < len(out); k++ {
				touched[pair{out[k], out[k+1]}] = true
			}
		}
		delete(where, p)
		for q := range touched {
			if c := pairCount[q]; c > 0 && q != p {
				heap.Push(h, pairItem{q, c, merged(q)})
			}
		}
	}
	var b strings.Builder
	for _, t := range vocab {
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return ParseVocab(strings.NewReader(b.String()), "trained vocabulary")
}

type pairItem struct {
	p     [2]int32
	count int
	tok   string
}

// pairHeap pops the most frequent pair, the merged token's order breaking
// ties.
type pairHeap []pairItem

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	return h[i].tok < h[j].tok
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairItem)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
