package retrieval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/rrra/rrra/internal/binenc"
)

// A Candidate is a document from a query's mined pool and its score.
type Candidate struct {
	Doc   int32   // index in the corpus
	Score float32 // the miner's score: the model's logit, or BM25
}

// A Pool holds, for each training query, its mined candidates (the top K of
// the corpus by the miner's score, known positives removed, best first) and
// the miner's score of each of its positives.
type Pool struct {
	Source    string        // "bm25" or "dense"
	Step      int           // training step at which it was mined
	Cands     [][]Candidate // per training query
	PosScores [][]float32   // per training query, per positive (same order as the example's)
}

const poolMagic = "rrrapool1"

// MarshalBinary encodes p for a checkpoint.
func (p *Pool) MarshalBinary() ([]byte, error) {
	b := []byte(poolMagic)
	b = binary.AppendUvarint(b, uint64(len(p.Source)))
	b = append(b, p.Source...)
	b = binary.AppendUvarint(b, uint64(p.Step))
	b = binary.AppendUvarint(b, uint64(len(p.Cands)))
	for i, cs := range p.Cands {
		b = binary.AppendUvarint(b, uint64(len(cs)))
		for _, c := range cs {
			b = binary.AppendUvarint(b, uint64(c.Doc))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(c.Score))
		}
		var ps []float32
		if i < len(p.PosScores) {
			ps = p.PosScores[i]
		}
		b = binenc.AppendFloat32s(b, ps)
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (p *Pool) UnmarshalBinary(b []byte) error {
	r := binenc.NewReader(b)
	if string(r.Bytes(len(poolMagic))) != poolMagic {
		return errors.New("retrieval: pool: bad magic")
	}
	p.Source = string(r.Bytes(int(r.Uvarint())))
	p.Step = int(r.Uvarint())
	n := int(r.Uvarint())
	if r.Err() != nil || n > len(b) {
		return fmt.Errorf("retrieval: pool: corrupt header")
	}
	p.Cands = make([][]Candidate, n)
	p.PosScores = make([][]float32, n)
	for i := range p.Cands {
		m := int(r.Uvarint())
		if r.Err() != nil || m > len(b) {
			return fmt.Errorf("retrieval: pool: corrupt query %d", i)
		}
		p.Cands[i] = make([]Candidate, m)
		for j := range p.Cands[i] {
			p.Cands[i][j] = Candidate{Doc: int32(r.Uvarint()), Score: math.Float32frombits(r.Uint32())}
		}
		p.PosScores[i] = r.Float32s()
		if r.Err() != nil {
			return fmt.Errorf("retrieval: pool: corrupt query %d", i)
		}
	}
	if r.Err() != nil {
		return fmt.Errorf("retrieval: pool: %w", r.Err())
	}
	if r.Remaining() != 0 {
		return fmt.Errorf("retrieval: pool: %d trailing bytes", r.Remaining())
	}
	return nil
}
