package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/nn"
)

const quantizeSynopsis = `quantize --model DIR --out DIR

Writes a copy of a bi-encoder folder whose attention and feed-forward
weights are int8, one scale per output channel (the scheme is named in
model.safetensors' metadata; embeddings, LayerNorm and biases stay
float32), for int8 inference: encode, index, search, mine and serve run
it in int8 by default (--precision fp32 runs it in float32 with the
dequantized weights). Activations are quantized per token at run time.
The folder's other files (RRRA adapters, the hybrid fusion) are copied.
rrra refuses to train from a quantized folder, and other tools than rrra
cannot read its weights: keep the float32 folder.

The int8 products give the same results bit for bit on every CPU
(AVX512-VNNI, AVX-VNNI, AVX2 or none); the parts that stay float32
(attention, LayerNorm, GELU) round per float32 kernel tier, as they always
have, so vectors are bit-identical across machines whose float32 tiers
match (rrra info names them).

Example:

	rrra quantize --model rrra-demo/model --out rrra-demo/model-int8
	rrra search --data cranfield --model rrra-demo/model-int8 --out run.trec`

func runQuantize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quantize", quantizeSynopsis, stderr)
	modelDir := fs.String("model", "", "float32 bi-encoder directory to quantize")
	out := fs.String("out", "", "directory to write the quantized model to (replaced as a whole)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *modelDir == "" || *out == "" {
		fmt.Fprintln(stderr, "rrra quantize: --model and --out are required")
		return errUsage
	}
	start := time.Now()
	copied, notices, err := nn.QuantizeDir(*modelDir, *out)
	for _, n := range notices {
		fmt.Fprintln(stderr, n)
	}
	if err != nil {
		return err
	}
	if !isQuiet(fs) {
		also := ""
		if len(copied) > 0 {
			also = "; copied " + strings.Join(copied, ", ")
		}
		fmt.Fprintf(stderr, "rrra quantize: wrote %s in %.1fs (int8 products on this CPU: %s)%s\n",
			*out, time.Since(start).Seconds(), kernels.SelectedInt8(), also)
	}
	return nil
}
