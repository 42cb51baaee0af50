package wordpiece

// Batch holds B encoded sequences padded to a common length T, row-major:
// sequence i is IDs[i*T : (i+1)*T], its attention mask Mask[i*T : (i+1)*T]
// (1 for tokens, 0 for padding) and its unpadded length Lens[i].
type Batch struct {
	IDs  []int32
	Mask []float32
	Lens []int
	B, T int
}

// EncodeBatch encodes texts into b ([CLS] text [SEP], each truncated to
// maxLen ids; maxLen <= 0: no limit), padding with [PAD] to the longest
// sequence. b's buffers are reused, so a steady stream of batches allocates
// nothing once they are large enough.
func (t *Tokenizer) EncodeBatch(b *Batch, texts []string, maxLen int) {
	b.B = len(texts)
	b.Lens = b.Lens[:0]
	// Encode back to back into IDs, then spread the rows out to the common
	// length from the last row backwards (each row moves right, so no row
	// overwrites one not yet moved).
	ids := b.IDs[:0]
	for _, s := range texts {
		n := len(ids)
		ids = t.Encode(ids, s, maxLen)
		b.Lens = append(b.Lens, len(ids)-n)
	}
	T := 0
	for _, n := range b.Lens {
		T = max(T, n)
	}
	b.T = T
	total := b.B * T
	if cap(ids) < total {
		grown := make([]int32, total, total+total/4)
		copy(grown, ids)
		ids = grown
	}
	ids = ids[:total]
	end := 0
	for _, n := range b.Lens {
		end += n
	}
	for i := b.B - 1; i >= 0; i-- {
		n := b.Lens[i]
		end -= n
		copy(ids[i*T:i*T+n], ids[end:end+n])
		for j := i*T + n; j < (i+1)*T; j++ {
			ids[j] = t.vocab.Pad
		}
	}
	b.IDs = ids
	if cap(b.Mask) < total {
		b.Mask = make([]float32, total)
	}
	b.Mask = b.Mask[:total]
	for i, n := range b.Lens {
		row := b.Mask[i*T : (i+1)*T]
		for j := range row {
			row[j] = 0
			if j < n {
				row[j] = 1
			}
		}
	}
}
