package kernels

import "math"

// Float32 elementary functions for the activation and softmax loops: about
// five times faster than converting to float64 for package math, and
// accurate to a few float32 units in the last place (the tests state the
// bounds they hold).

const (
	log2e  = 1.44269504088896341
	ln2Hi  = 0.693359375 // ln 2 split for Cody–Waite reduction: ln2Hi is exact in few bits
	ln2Lo  = -2.12194440e-4
	expMax = 88.72283935546875 // ln(MaxFloat32): larger arguments overflow
	expMin = -103.97208404541016
)

// Exp returns e^x for float32 x: +Inf above ln(MaxFloat32), 0 below the
// smallest subnormal, NaN for NaN. Its relative error is below 3·2⁻²⁴ for
// results in the normal range.
//
// Method: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite, ln2 in two parts),
// e^r by the Cephes degree-6 polynomial, then scaling by 2ⁿ through the
// exponent bits (in two steps where 2ⁿ itself is not a normal float32).
func Exp(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > expMax:
		return float32(math.Inf(1))
	case x < expMin:
		return 0
	}
	fn := x * log2e
	if fn >= 0 {
		fn += 0.5
	} else {
		fn -= 0.5
	}
	n := int32(fn) // round half away from zero
	nf := float32(n)
	r := x - nf*ln2Hi - nf*ln2Lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	switch {
	case n > 127:
		return y * pow2(n-1) * 2
	case n < -126:
		return y * pow2(n+126) * pow2(-126)
	}
	return y * pow2(n)
}

// pow2 returns 2ⁿ for -126 ≤ n ≤ 127.
func pow2(n int32) float32 { return math.Float32frombits(uint32(n+127) << 23) }

// Erf returns the error function of float32 x with an absolute error below
// 3e-7: for |x| < 1 the Cephes erff polynomial (relative error about 1e-7),
// beyond it Abramowitz and Stegun 7.1.26 (absolute error 1.5e-7, plus
// float32 rounding).
func Erf(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if ax != ax {
		return x
	}
	if ax < 1 {
		z := x * x
		return x * ((((((7.853861353153693e-5*z-8.010193625184903e-4)*z+5.188327685732524e-3)*z-
			2.685381193529856e-2)*z+1.128358514861418e-1)*z-3.761262582423300e-1)*z + 1.128379165726710)
	}
	if ax > 9 {
		ax = 9 // erf is 1 in float32 well before; avoids 1/(1+p·Inf)
	}
	t := 1 / (1 + 0.3275911*ax)
	poly := t * (0.254829592 + t*(-0.284496736+t*(1.421413741+t*(-1.453152027+t*1.061405429))))
	y := 1 - poly*Exp(-ax*ax)
	if x < 0 {
		return -y
	}
	return y
}
