package bench

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		want Summary
	}{
		{"empty", nil, Summary{}},
		{"one", []float64{3}, Summary{Median: 3, Min: 3, Max: 3, N: 1}},
		{"odd", []float64{5, 1, 4, 2, 3}, Summary{Median: 3, Min: 1, Max: 5, N: 5}},
		{"even", []float64{10, 1, 4, 2}, Summary{Median: 3, Min: 1, Max: 10, N: 4}},
		{"outlier", []float64{100, 101, 1, 99, 1000}, Summary{Median: 100, Min: 1, Max: 1000, N: 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			if got := Summarize(tc.in); got != tc.want {
				t.Errorf("Summarize(%v) = %+v, want %+v", tc.in, got, tc.want)
			}
			if !slices.Equal(in, tc.in) {
				t.Errorf("Summarize reordered its input: %v", tc.in)
			}
		})
	}
}

func TestRatio(t *testing.T) {
	s := func(xs ...float64) Summary { return Summarize(xs) }
	for _, tc := range []struct {
		name   string
		a, b   Summary
		want   float64
		wantOK bool
		text   string
	}{
		{"medians", s(10, 20, 30), s(5, 10, 100), 2, true, "2.00"},
		{"not mean of ratios", s(1, 4), s(2, 2), 1.25, true, "1.25"},
		{"empty a", Summary{}, s(1), 0, false, "n/a"},
		{"empty b", s(1), Summary{}, 0, false, "n/a"},
		{"zero b", s(1), s(0), 0, false, "n/a"},
		{"below one", s(1), s(3), 1.0 / 3, true, "0.33"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Ratio(tc.a, tc.b)
			if ok != tc.wantOK || math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("Ratio = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
			if txt := FormatRatio(tc.a, tc.b); txt != tc.text {
				t.Errorf("FormatRatio = %q, want %q", txt, tc.text)
			}
		})
	}
}

func TestFormatCell(t *testing.T) {
	for _, tc := range []struct {
		s      Summary
		rounds int
		want   string
	}{
		{Summary{}, 5, "n/a"},
		{Summary{Median: 123.4, Min: 99.5, Max: 150, N: 5}, 5, "123 [99.5–150]"},
		{Summary{Median: 5.4321, Min: 5, Max: 6, N: 3}, 5, "5.43 [5.00–6.00] (3 rounds)"},
		{Summary{Median: 42, Min: 42, Max: 42, N: 1}, 5, "42.0 (1 round)"},
		{Summary{Median: 42, Min: 42, Max: 42, N: 1}, 1, "42.0"},
	} {
		if got := FormatCell(tc.s, tc.rounds); got != tc.want {
			t.Errorf("FormatCell(%+v, %d) = %q, want %q", tc.s, tc.rounds, got, tc.want)
		}
	}
}

func TestTableMarkdown(t *testing.T) {
	s := func(xs ...float64) Summary { return Summarize(xs) }
	tab := Table{Threads: 2, Tier: "avx2", Rounds: 3, Rows: []Row{
		{Shape: Shape{Trans: "NN", Batch: 1, M: 64, N: 64, K: 64},
			Ours: s(90, 100, 110), Generic: s(20, 21, 22), BLAS: s(50, 40, 60), Gonum: s(10, 10, 11),
			OursBLAS: s(1.8, 2.5, 1.83)},
		{Shape: Shape{Trans: "NT", Batch: 64, M: 128, N: 128, K: 64, Note: "attention QKᵀ"},
			Ours: s(100, 100, 100), Generic: s(30), Gonum: s(10, 12, 14)},
	}}
	want := `### 2 threads

| shape | ours (avx2) GFLOP/s median [min–max] | generic GFLOP/s | OpenBLAS GFLOP/s | gonum GFLOP/s | ours/OpenBLAS [per round min–max] | generic/gonum |
|---|--:|--:|--:|--:|--:|--:|
| NN 64x64x64 | 100 [90.0–110] | 21.0 [20.0–22.0] | 50.0 [40.0–60.0] | 10.0 [10.0–11.0] | 2.00 [1.80–2.50] | 2.10 |
| NT 64 × 128x128x64 (attention QKᵀ) | 100 [100–100] | 30.0 (1 round) | n/a | 12.0 [10.0–14.0] | n/a | 2.50 |
`
	if got := tab.Markdown(); got != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, want)
	}
	tab.Threads, tab.BLAS = 1, "reference BLAS"
	got := tab.Markdown()
	if !strings.HasPrefix(got, "### 1 thread\n") || !strings.Contains(got, "| reference BLAS GFLOP/s |") ||
		!strings.Contains(got, "| ours/reference BLAS [per round min–max] |") {
		t.Errorf("Markdown with a named BLAS:\n%s", got)
	}
}

func TestParseShape(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want Shape
		err  bool
	}{
		{spec: "NN:64x32x16", want: Shape{Trans: "NN", Batch: 1, M: 64, N: 32, K: 16}},
		{spec: " nt:8x128x128x64", want: Shape{Trans: "NT", Batch: 8, M: 128, N: 128, K: 64}},
		{spec: "TN:1X2X3", want: Shape{Trans: "TN", Batch: 1, M: 1, N: 2, K: 3}},
		{spec: "TT:1x2x3", err: true},
		{spec: "NN:1x2", err: true},
		{spec: "NN:0x2x3", err: true},
		{spec: "64x64x64", err: true},
		{spec: "NN:axbxc", err: true},
	} {
		got, err := ParseShape(tc.spec)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseShape(%q) = %+v, %v; want %+v, error %v", tc.spec, got, err, tc.want, tc.err)
		}
		if err == nil {
			if back, _ := ParseShape(got.Spec()); back != got {
				t.Errorf("ParseShape(%q.Spec() = %q) = %+v", tc.spec, got.Spec(), back)
			}
		}
	}
}

func TestShapes(t *testing.T) {
	def := DefaultShapes()
	if len(def) != 13 {
		t.Errorf("DefaultShapes has %d shapes, want 13", len(def))
	}
	for _, set := range [][]Shape{def, QuickShapes()} {
		for _, s := range set {
			if s.Products() < 1 || s.M < 1 || s.N < 1 || s.K < 1 || len(s.Trans) != 2 {
				t.Errorf("bad shape %+v", s)
			}
		}
	}
	attn := def[len(def)-2]
	if attn.Flops() != 2*64*128*128*64 || !attn.TransB() || attn.TransA() {
		t.Errorf("attention QKᵀ shape %+v: flops %v", attn, attn.Flops())
	}
	got, err := ShapeSet("NN:8x8x8,TN:2x4x4x4")
	if err != nil || len(got) != 2 || got[1].Batch != 2 {
		t.Errorf("ShapeSet list = %+v, %v", got, err)
	}
	if _, err := ShapeSet("NN:8x8"); err == nil {
		t.Error("ShapeSet accepted a bad spec")
	}
}

func TestTime(t *testing.T) {
	calls := 0
	sec, reps := Time(func() { calls++ }, time.Millisecond)
	if reps < 1 || calls != reps+1 || sec <= 0 || sec > 1e-3 {
		t.Errorf("fast op: %v s/op over %d reps, %d calls", sec, reps, calls)
	}
	calls = 0
	sec, reps = Time(func() { calls++; time.Sleep(2 * time.Millisecond) }, time.Millisecond)
	if reps != 1 || calls != 1 || sec < 2e-3 {
		t.Errorf("slow op: %v s/op over %d reps, %d calls; want the first call as the sample", sec, reps, calls)
	}
}

func TestNumpyEnv(t *testing.T) {
	env := NumpyEnv([]string{"PATH=/bin", "OPENBLAS_CORETYPE=Haswell", "OPENBLAS_L2_SIZE=1",
		"OPENBLAS_NUM_THREADS=8", "OMP_NUM_THREADS=8", "HOME=/root"}, 2)
	want := []string{"PATH=/bin", "HOME=/root", "OPENBLAS_NUM_THREADS=2", "OMP_NUM_THREADS=2", "BLIS_NUM_THREADS=2"}
	if !slices.Equal(env, want) {
		t.Errorf("NumpyEnv = %q, want %q", env, want)
	}
}

func TestParseReply(t *testing.T) {
	if s, err := parseReply([]byte(`{"ok": true, "seconds": 0.5, "reps": 3}` + "\n")); err != nil || s != 0.5 {
		t.Errorf("parseReply ok = %v, %v", s, err)
	}
	for _, bad := range []string{`{"ok": false, "error": "ValueError: x"}`, `{"ok": true, "seconds": 0}`, `not json`} {
		if _, err := parseReply([]byte(bad)); err == nil {
			t.Errorf("parseReply(%q) gave no error", bad)
		}
	}
}

func TestNumpyHelloDescribe(t *testing.T) {
	three := 3
	h := NumpyHello{Numpy: "1.24.2", Python: "3.11.2", NumpyPath: "/np", BLAS: "OpenBLAS",
		BLASPath: "/lib/libopenblas.so.0", OpenBLASConfig: "OpenBLAS 0.3.21 DYNAMIC_ARCH", OpenBLASCore: "Zen",
		OpenBLASThreads: &three}
	want := "numpy 1.24.2 (Python 3.11.2, /np); BLAS: OpenBLAS 0.3.21 DYNAMIC_ARCH, core Zen (/lib/libopenblas.so.0)"
	if got := h.Describe(); !h.IsOpenBLAS() || got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	h = NumpyHello{Numpy: "1.24.2", Python: "3.11.2", NumpyPath: "/np", BLAS: "reference BLAS", BLASPath: "/blas/libblas.so.3"}
	if got := h.Describe(); h.IsOpenBLAS() || !strings.HasSuffix(got, "; BLAS: reference BLAS (/blas/libblas.so.3)") {
		t.Errorf("Describe = %q", got)
	}
}

func TestNumpyScriptEmbedded(t *testing.T) {
	for _, s := range []string{"OPENBLAS_NUM_THREADS", "np.matmul", `"hello": 1`, "min_seconds"} {
		if !strings.Contains(NumpyScript, s) {
			t.Errorf("embedded sgemm_numpy.py lacks %q", s)
		}
	}
}

func TestMaxDiff(t *testing.T) {
	nan := float32(math.NaN())
	for _, tc := range []struct {
		x, y        []float32
		diff, scale float64
	}{
		{[]float32{1, -4, 2}, []float32{1, -4, 2}, 0, 4},
		{[]float32{1, -4, 2}, []float32{1.5, -4, 2}, 0.5, 4},
		{[]float32{1, nan}, []float32{1, 1}, math.NaN(), 1},
		{nil, nil, 0, 0},
	} {
		d, s := MaxDiff(tc.x, tc.y)
		if (math.IsNaN(tc.diff) != math.IsNaN(d)) || (!math.IsNaN(d) && d != tc.diff) || s != tc.scale {
			t.Errorf("MaxDiff(%v, %v) = %v, %v; want %v, %v", tc.x, tc.y, d, s, tc.diff, tc.scale)
		}
	}
}
