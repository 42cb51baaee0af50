package kernels

// DotRowsU8 sets out[j] to Σ_t w[t]·codes[j*ldc+t], the inner product of
// float32 weights with row j of a byte matrix (len(w) bytes per row, row
// stride ldc), for every j < len(out). It is the scan of a scalar-
// quantized (SQ8) index: with weights q·step, a document's score is a
// constant plus its row's sum. Like DotRows it runs on the calling
// goroutine, so it may run inside a Parallel task. Each row's sum is
// exact to float32 rounding in an order the tier fixes (the generic
// tier's: four interleaved partial sums, t mod 4). It panics if codes is
// too short.
//
// Go-equivalent loop:
//
//	for j := range out {
//		var s float32
//		for t := range w {
//			s += w[t] * float32(codes[j*ldc+t])
//		}
//		out[j] = s
//	}
func DotRowsU8(w []float32, codes []uint8, ldc int, out []float32) {
	n, d := len(out), len(w)
	if n == 0 {
		return
	}
	if ldc < d || (n-1)*ldc+d > len(codes) {
		panic("kernels: DotRowsU8: codes too short for the rows")
	}
	current.Load().dotRowsU8(w, codes, ldc, out)
}

// dotRowsU8Generic is DotRowsU8 in Go.
func dotRowsU8Generic(w []float32, codes []uint8, ldc int, out []float32) {
	for j := range out {
		out[j] = dotU8Generic(w, codes[j*ldc:j*ldc+len(w)])
	}
}

// dotU8Generic returns Σ w[t]·code[t] in four partial sums.
func dotU8Generic(w []float32, code []uint8) float32 {
	code = code[:len(w)]
	var s0, s1, s2, s3 float32
	t := 0
	for ; t+4 <= len(w); t += 4 {
		s0 += w[t] * float32(code[t])
		s1 += w[t+1] * float32(code[t+1])
		s2 += w[t+2] * float32(code[t+2])
		s3 += w[t+3] * float32(code[t+3])
	}
	for ; t < len(w); t++ {
		s0 += w[t] * float32(code[t])
	}
	return (s0 + s1) + (s2 + s3)
}

// dotRowsU8With runs an assembly row kernel of the SQ8 scan on each row
// (the avx2, avx512 and neon tiers), after one bounds check for all of
// them.
func dotRowsU8With(row func(w *float32, c *uint8, n int) float32, w []float32, codes []uint8, ldc int, out []float32) {
	n, d := len(out), len(w)
	if d == 0 {
		clear(out)
		return
	}
	_ = codes[(n-1)*ldc+d-1]
	for j := range out {
		out[j] = row(&w[0], &codes[j*ldc], d)
	}
}
