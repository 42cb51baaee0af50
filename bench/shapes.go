// Package bench holds the logic of rrra's peer benchmark harness
// (go run ./bench/cmd/peers): the shapes it times, the timing rule, the
// statistics behind each table cell, the markdown table, and the client of
// the numpy timing server (sgemm_numpy.py). See bench/README.md.
package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Shape is one SGEMM problem: Batch independent products of an M×K op(A)
// and a K×N op(B), with op given by Trans ("NN", "NT" or "TN": the first
// letter for A, the second for B). Note is an optional human label.
type Shape struct {
	Trans   string
	Batch   int
	M, N, K int
	Note    string
}

// TransA reports whether A is stored transposed (K×M).
func (s Shape) TransA() bool { return s.Trans[0] == 'T' }

// TransB reports whether B is stored transposed (N×K).
func (s Shape) TransB() bool { return s.Trans[1] == 'T' }

// Products returns the number of products, at least 1.
func (s Shape) Products() int { return max(s.Batch, 1) }

// Flops returns the floating-point operations of one call: 2·M·N·K·batch.
func (s Shape) Flops() float64 {
	return 2 * float64(s.M) * float64(s.N) * float64(s.K) * float64(s.Products())
}

// Spec returns the shape in the form ParseShape reads: "NN:MxNxK", or
// "NT:BxMxNxK" for a batch.
func (s Shape) Spec() string {
	if s.Products() > 1 {
		return fmt.Sprintf("%s:%dx%dx%dx%d", s.Trans, s.Batch, s.M, s.N, s.K)
	}
	return fmt.Sprintf("%s:%dx%dx%d", s.Trans, s.M, s.N, s.K)
}

// Label returns the name used in tables, e.g. "NN 1024x1024x1024" or
// "NT 64 × 128x128x64 (attention QKᵀ)".
func (s Shape) Label() string {
	l := fmt.Sprintf("%s %dx%dx%d", s.Trans, s.M, s.N, s.K)
	if s.Products() > 1 {
		l = fmt.Sprintf("%s %d × %dx%dx%d", s.Trans, s.Batch, s.M, s.N, s.K)
	}
	if s.Note != "" {
		l += " (" + s.Note + ")"
	}
	return l
}

// ParseShape reads "TT:MxNxK" or "TT:BxMxNxK", where TT is NN, NT or TN.
func ParseShape(spec string) (Shape, error) {
	trans, dims, ok := strings.Cut(strings.TrimSpace(spec), ":")
	if !ok {
		return Shape{}, fmt.Errorf("shape %q: want TT:MxNxK or TT:BxMxNxK", spec)
	}
	trans = strings.ToUpper(trans)
	if trans != "NN" && trans != "NT" && trans != "TN" {
		return Shape{}, fmt.Errorf("shape %q: transpose %q is not NN, NT or TN", spec, trans)
	}
	parts := strings.Split(strings.ToLower(dims), "x")
	if len(parts) != 3 && len(parts) != 4 {
		return Shape{}, fmt.Errorf("shape %q: want 3 or 4 dimensions", spec)
	}
	v := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return Shape{}, fmt.Errorf("shape %q: bad dimension %q", spec, p)
		}
		v[i] = n
	}
	s := Shape{Trans: trans, Batch: 1}
	if len(v) == 4 {
		s.Batch, v = v[0], v[1:]
	}
	s.M, s.N, s.K = v[0], v[1], v[2]
	return s, nil
}

// DefaultShapes returns the shapes of a full run: square NN products, tall
// NN products, NT and TN at 1024, and one layer's attention products.
func DefaultShapes() []Shape {
	var s []Shape
	for _, n := range []int{64, 128, 256, 512, 1024, 2048} {
		s = append(s, Shape{Trans: "NN", Batch: 1, M: n, N: n, K: n})
	}
	s = append(s,
		Shape{Trans: "NN", Batch: 1, M: 4096, N: 256, K: 256},
		Shape{Trans: "NN", Batch: 1, M: 4096, N: 1024, K: 256},
		Shape{Trans: "NN", Batch: 1, M: 4096, N: 256, K: 1024},
		Shape{Trans: "NT", Batch: 1, M: 1024, N: 1024, K: 1024},
		Shape{Trans: "TN", Batch: 1, M: 1024, N: 1024, K: 1024},
		Shape{Trans: "NT", Batch: 64, M: 128, N: 128, K: 64, Note: "attention QKᵀ"},
		Shape{Trans: "NN", Batch: 64, M: 128, N: 64, K: 128, Note: "attention P·V"},
	)
	return s
}

// QuickShapes returns a few small shapes, one of each kind, for checking the
// harness itself in well under a minute.
func QuickShapes() []Shape {
	return []Shape{
		{Trans: "NN", Batch: 1, M: 64, N: 64, K: 64},
		{Trans: "NN", Batch: 1, M: 256, N: 256, K: 256},
		{Trans: "NT", Batch: 1, M: 192, N: 160, K: 128},
		{Trans: "TN", Batch: 1, M: 160, N: 192, K: 128},
		{Trans: "NT", Batch: 8, M: 128, N: 128, K: 64, Note: "attention QKᵀ"},
	}
}

// ShapeSet resolves the -shapes flag: "default", "quick", or a
// comma-separated list of ParseShape specs.
func ShapeSet(name string) ([]Shape, error) {
	switch name {
	case "", "default":
		return DefaultShapes(), nil
	case "quick":
		return QuickShapes(), nil
	}
	var out []Shape
	for _, spec := range strings.Split(name, ",") {
		s, err := ParseShape(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
