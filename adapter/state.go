package adapter

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/rrra/rrra/internal/binenc"
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
		b = binenc.AppendFloat32s(b, a.Params.Data())
	}
	b = binary.AppendUvarint(b, uint64(len(s.SFN)))
	for _, row := range s.SFN {
		b = binenc.AppendFloat32s(b, row)
	}
	return b, nil
}

// UnmarshalState implements retrieval.StateSaver.
func (s *Sampler) UnmarshalState(b []byte) error {
	r := binenc.NewReader(b)
	if string(r.Bytes(len(stateMagic))) != stateMagic {
		return errors.New("adapter: sampler state: bad magic")
	}
	fits := r.Uvarint()
	if n := r.Uvarint(); r.Err() == nil && n != uint64(len(s.Adapters)) {
		return fmt.Errorf("adapter: sampler state holds %d adapters, the sampler has %d", n, len(s.Adapters))
	}
	params := make([][]float32, len(s.Adapters))
	for i, a := range s.Adapters {
		params[i] = r.Float32s()
		if r.Err() == nil && len(params[i]) != len(a.Params.Data()) {
			return fmt.Errorf("adapter: sampler state: adapter %d has %d values, want %d", i, len(params[i]), len(a.Params.Data()))
		}
	}
	n := r.Uvarint()
	if r.Err() == nil && n > uint64(r.Remaining()) { // every row takes a byte at least
		return fmt.Errorf("adapter: sampler state: %d rows of s_FN in %d bytes", n, r.Remaining())
	}
	var sfn [][]float32
	for i := uint64(0); i < n && r.Err() == nil; i++ {
		row := r.Float32s()
		if len(row) == 0 {
			row = nil
		}
		sfn = append(sfn, row)
	}
	if r.Err() != nil {
		return fmt.Errorf("adapter: sampler state: %w", r.Err())
	}
	if r.Remaining() != 0 {
		return fmt.Errorf("adapter: sampler state: %d trailing bytes", r.Remaining())
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
		b = binenc.AppendFloat32s(b, m)
		b = binenc.AppendFloat32s(b, v)
	}
	return b, nil
}

// UnmarshalState implements retrieval.StateSaver.
func (j *Joint) UnmarshalState(b []byte) error {
	r := binenc.NewReader(b)
	if string(r.Bytes(len(stateMagic))) != stateMagic {
		return errors.New("adapter: joint state: bad magic")
	}
	if n := r.Uvarint(); r.Err() == nil && n != uint64(len(j.opts)) {
		return fmt.Errorf("adapter: joint state holds %d optimizers, want %d", n, len(j.opts))
	}
	type saved struct {
		step uint64
		m, v []float32
	}
	var all []saved
	for range j.opts {
		all = append(all, saved{r.Uvarint(), r.Float32s(), r.Float32s()})
	}
	if r.Err() != nil {
		return fmt.Errorf("adapter: joint state: %w", r.Err())
	}
	if r.Remaining() != 0 {
		return fmt.Errorf("adapter: joint state: %d trailing bytes", r.Remaining())
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
