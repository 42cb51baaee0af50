package retrieval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
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
		b = binary.AppendUvarint(b, uint64(len(ps)))
		for _, s := range ps {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(s))
		}
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (p *Pool) UnmarshalBinary(b []byte) error {
	r := &byteReader{b: b}
	if string(r.bytes(len(poolMagic))) != poolMagic {
		return errors.New("retrieval: pool: bad magic")
	}
	p.Source = string(r.bytes(int(r.uvarint())))
	p.Step = int(r.uvarint())
	n := int(r.uvarint())
	if r.err != nil || n > len(b) {
		return fmt.Errorf("retrieval: pool: corrupt header")
	}
	p.Cands = make([][]Candidate, n)
	p.PosScores = make([][]float32, n)
	for i := range p.Cands {
		m := int(r.uvarint())
		if r.err != nil || m > len(b) {
			return fmt.Errorf("retrieval: pool: corrupt query %d", i)
		}
		p.Cands[i] = make([]Candidate, m)
		for j := range p.Cands[i] {
			p.Cands[i][j] = Candidate{Doc: int32(r.uvarint()), Score: math.Float32frombits(r.u32())}
		}
		k := int(r.uvarint())
		if r.err != nil || k > len(b) {
			return fmt.Errorf("retrieval: pool: corrupt query %d", i)
		}
		p.PosScores[i] = make([]float32, k)
		for j := range p.PosScores[i] {
			p.PosScores[i][j] = math.Float32frombits(r.u32())
		}
	}
	if r.err != nil {
		return fmt.Errorf("retrieval: pool: %w", r.err)
	}
	if len(r.b) != r.off {
		return fmt.Errorf("retrieval: pool: %d trailing bytes", len(r.b)-r.off)
	}
	return nil
}

type byteReader struct {
	b   []byte
	off int
	err error
}

var errShort = errors.New("truncated")

func (r *byteReader) bytes(n int) []byte {
	if r.err != nil || n < 0 || r.off+n > len(r.b) {
		r.err = errShort
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *byteReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.off += n
	return v
}

func (r *byteReader) u32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}
