package nn

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/tensor"
)

// CheckpointFormat names the checkpoint layout; it is stored in the file's
// metadata and checked on load.
const CheckpointFormat = "rrra-checkpoint-1"

// TrainState is what a training run needs besides its parameters to
// continue exactly: the optimizer, the random generator that drives dropout
// (the tape's), and the position in the data order.
type TrainState struct {
	Opt     *AdamW
	RNG     *tensor.RNG
	DataPos int64
	// Extra holds further state a training loop must restore to continue
	// exactly (for example its current hard-negative pool), by name. It is
	// stored base64-encoded in the file's metadata as "extra.<name>".
	Extra map[string][]byte
}

// SaveCheckpoint writes the parameters, AdamW's moments and step, the RNG
// state and the data position to path as a safetensors file (tensors
// "param.<name>", "adam_m.<name>", "adam_v.<name>"), atomically: path holds
// either the previous checkpoint or this one, whole.
func SaveCheckpoint(path string, p *autograd.Params, st TrainState) error {
	rng, err := st.RNG.MarshalBinary()
	if err != nil {
		return fmt.Errorf("nn: checkpoint %s: %w", path, err)
	}
	m, v := st.Opt.Moments()
	var named []tensor.Named
	for i := 0; i < p.Len(); i++ {
		name, pv := p.Name(i), p.Var(i)
		lo, hi := p.Offset(i), p.Offset(i)+pv.Value.Numel()
		named = append(named,
			tensor.Named{Name: "param." + name, Tensor: &pv.Value},
			tensor.Named{Name: "adam_m." + name, Tensor: &tensor.Tensor{Shape: pv.Shape(), Data: m[lo:hi]}},
			tensor.Named{Name: "adam_v." + name, Tensor: &tensor.Tensor{Shape: pv.Shape(), Data: v[lo:hi]}})
	}
	meta := map[string]string{
		"format":   CheckpointFormat,
		"step":     strconv.Itoa(st.Opt.StepCount()),
		"data_pos": strconv.FormatInt(st.DataPos, 10),
		"rng":      base64.StdEncoding.EncodeToString(rng),
	}
	for k, b := range st.Extra {
		meta["extra."+k] = base64.StdEncoding.EncodeToString(b)
	}
	return tensor.WriteSafetensorsFile(path, named, meta)
}

// LoadCheckpoint restores a checkpoint written by SaveCheckpoint into p and
// st (whose optimizer must be over p). Every parameter must be present with
// its shape, and nothing else; errors name the file and the tensor or field.
// It returns the restored data position (also stored in st.DataPos).
func LoadCheckpoint(path string, p *autograd.Params, st *TrainState) (int64, error) {
	f, err := tensor.ReadSafetensorsFile(path)
	if err != nil {
		return 0, err
	}
	fail := func(format string, args ...any) (int64, error) {
		return 0, fmt.Errorf("nn: checkpoint %s: %s", path, fmt.Sprintf(format, args...))
	}
	if f.Metadata["format"] != CheckpointFormat {
		return fail("field format is %q, want %q", f.Metadata["format"], CheckpointFormat)
	}
	step, err := strconv.Atoi(f.Metadata["step"])
	if err != nil || step < 0 {
		return fail("field step %q is not a step count", f.Metadata["step"])
	}
	pos, err := strconv.ParseInt(f.Metadata["data_pos"], 10, 64)
	if err != nil || pos < 0 {
		return fail("field data_pos %q is not a position", f.Metadata["data_pos"])
	}
	rng, err := base64.StdEncoding.DecodeString(f.Metadata["rng"])
	if err != nil {
		return fail("field rng is not base64: %v", err)
	}
	if want := 3 * p.Len(); len(f.Names) != want {
		return fail("holds %d tensors; the model needs %d (3 per parameter)", len(f.Names), want)
	}
	m := make([]float32, p.NumValues())
	v := make([]float32, p.NumValues())
	data := make([]float32, p.NumValues())
	for i := 0; i < p.Len(); i++ {
		name, pv := p.Name(i), p.Var(i)
		lo := p.Offset(i)
		for _, part := range []struct {
			prefix string
			dst    []float32
		}{{"param.", data}, {"adam_m.", m}, {"adam_v.", v}} {
			t := f.Tensors[part.prefix+name]
			if t == nil {
				return fail("tensor %q is missing", part.prefix+name)
			}
			if t.Shape != pv.Shape() {
				return fail("tensor %q has shape %v, the model's is %v", part.prefix+name, t.Shape, pv.Shape())
			}
			copy(part.dst[lo:], t.Data)
		}
	}
	if err := st.RNG.UnmarshalBinary(rng); err != nil {
		return fail("field rng: %v", err)
	}
	if err := st.Opt.Restore(step, m, v); err != nil {
		return fail("%v", err)
	}
	extra := make(map[string][]byte)
	for k, s := range f.Metadata {
		if name, ok := strings.CutPrefix(k, "extra."); ok {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return fail("field %s is not base64: %v", k, err)
			}
			extra[name] = b
		}
	}
	copy(p.Data(), data)
	st.DataPos = pos
	st.Extra = extra
	return pos, nil
}
