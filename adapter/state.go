package adapter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// stateMagic heads the RRRA sampler's checkpoint state.
const stateMagic = "rrrasmp1"

// MarshalState implements retrieval.StateSaver: the fit count, every
// adapter's parameters and the cached s_FN, so that a resumed run samples
// and refits exactly as the uninterrupted one.
func (s *Sampler) MarshalState() ([]byte, error) {
	b := []byte(stateMagic)
	b = binary.AppendUvarint(b, uint64(s.Fits))
	b = binary.AppendUvarint(b, uint64(len(s.Adapters)))
	for _, a := range s.Adapters {
		b = appendFloats(b, a.Params.Data())
	}
	b = binary.AppendUvarint(b, uint64(len(s.SFN)))
	for _, row := range s.SFN {
		b = appendFloats(b, row)
	}
	return b, nil
}

// UnmarshalState implements retrieval.StateSaver.
func (s *Sampler) UnmarshalState(b []byte) error {
	r := &stateReader{b: b}
	if len(b) < len(stateMagic) || string(b[:len(stateMagic)]) != stateMagic {
		return errors.New("adapter: sampler state: bad magic")
	}
	r.b = b[len(stateMagic):]
	fits := r.uvarint()
	if n := r.uvarint(); r.err == nil && n != uint64(len(s.Adapters)) {
		return fmt.Errorf("adapter: sampler state holds %d adapters, the sampler has %d", n, len(s.Adapters))
	}
	params := make([][]float32, len(s.Adapters))
	for i, a := range s.Adapters {
		params[i] = r.floats()
		if r.err == nil && len(params[i]) != len(a.Params.Data()) {
			return fmt.Errorf("adapter: sampler state: adapter %d has %d values, want %d", i, len(params[i]), len(a.Params.Data()))
		}
	}
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.err = errors.New("truncated")
	}
	var sfn [][]float32
	for i := uint64(0); i < n && r.err == nil; i++ {
		row := r.floats()
		if len(row) == 0 {
			row = nil
		}
		sfn = append(sfn, row)
	}
	if r.err != nil {
		return fmt.Errorf("adapter: sampler state: %w", r.err)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("adapter: sampler state: %d trailing bytes", len(r.b))
	}
	for i, a := range s.Adapters {
		copy(a.Params.Data(), params[i])
	}
	s.Fits, s.SFN = int(fits), sfn
	return nil
}

// MarshalState implements retrieval.StateSaver: each adapter's AdamW step
// count and moments.
func (j *Joint) MarshalState() ([]byte, error) {
	b := []byte(stateMagic)
	b = binary.AppendUvarint(b, uint64(len(j.opts)))
	for _, o := range j.opts {
		m, v := o.Moments()
		b = binary.AppendUvarint(b, uint64(o.StepCount()))
		b = appendFloats(b, m)
		b = appendFloats(b, v)
	}
	return b, nil
}

// UnmarshalState implements retrieval.StateSaver.
func (j *Joint) UnmarshalState(b []byte) error {
	if len(b) < len(stateMagic) || string(b[:len(stateMagic)]) != stateMagic {
		return errors.New("adapter: joint state: bad magic")
	}
	r := &stateReader{b: b[len(stateMagic):]}
	if n := r.uvarint(); r.err == nil && n != uint64(len(j.opts)) {
		return fmt.Errorf("adapter: joint state holds %d optimizers, want %d", n, len(j.opts))
	}
	type saved struct {
		step uint64
		m, v []float32
	}
	var all []saved
	for range j.opts {
		all = append(all, saved{r.uvarint(), r.floats(), r.floats()})
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("adapter: joint state: %w", r.err)
	}
	for i, o := range j.opts {
		m, v := o.Moments()
		if len(all[i].m) != len(m) || len(all[i].v) != len(v) {
			return fmt.Errorf("adapter: joint state: optimizer %d has %d and %d moments, want %d", i, len(all[i].m), len(all[i].v), len(m))
		}
	}
	for i, o := range j.opts {
		o.Restore(int(all[i].step), all[i].m, all[i].v) // lengths checked above
	}
	return nil
}

func appendFloats(b []byte, v []float32) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// stateReader reads what appendFloats and AppendUvarint wrote, keeping the
// first error.
type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("truncated")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) floats() []float32 {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b))/4 {
		r.err = errors.New("truncated")
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.b[4*i:]))
	}
	r.b = r.b[4*n:]
	return out
}
