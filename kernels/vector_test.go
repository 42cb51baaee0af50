package kernels

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

var vectorSizes = []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 257, 1000, 4099}

func refDot(x, y []float32) (dot, mag float64) {
	for i := range x {
		dot += float64(x[i]) * float64(y[i])
		mag += math.Abs(float64(x[i]) * float64(y[i]))
	}
	return dot, mag
}

func TestDot(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, n := range vectorSizes {
			for off := 0; off < 4; off++ {
				gx, gy := newGuarded(n, off), newGuarded(n+off, (off+3)%4)
				x, y := gx.s(), gy.s()
				fillRandom(r, x)
				fillRandom(r, y)
				got := Dot(x, y)
				want, mag := refDot(x, y[:n])
				if d := math.Abs(float64(got) - want); !(d <= gemmTol(n, mag)) {
					t.Fatalf("n=%d off=%d: Dot = %v, want %v (error %.3g)", n, off, got, want, d)
				}
				gx.check(t, "Dot x")
				gy.check(t, "Dot y")
			}
		}
	})
}

func TestAxpyScale(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, n := range vectorSizes {
			for off := 0; off < 4; off++ {
				for _, alpha := range []float32{0, 1, -0.5, 3.25} {
					gx, gy := newGuarded(n, off), newGuarded(n, 3-off)
					x, y := gx.s(), gy.s()
					fillRandom(r, x)
					fillRandom(r, y)
					y0 := append([]float32(nil), y...)
					Axpy(alpha, x, y)
					for i := range y {
						want := float64(y0[i]) + float64(alpha)*float64(x[i])
						tol := 2.0 / (1 << 24) * (math.Abs(float64(y0[i])) + math.Abs(float64(alpha*x[i])))
						if d := math.Abs(float64(y[i]) - want); !(d <= tol) {
							t.Fatalf("Axpy n=%d off=%d alpha=%v: y[%d] = %v, want %v", n, off, alpha, i, y[i], want)
						}
					}
					gx.check(t, "Axpy x")
					gy.check(t, "Axpy y")
					x0 := append([]float32(nil), x...)
					Scale(alpha, x)
					for i := range x {
						// One float32 rounding of an exact product: always exact.
						if want := float32(float64(alpha) * float64(x0[i])); x[i] != want {
							t.Fatalf("Scale n=%d off=%d alpha=%v: x[%d] = %v, want %v", n, off, alpha, i, x[i], want)
						}
					}
					gx.check(t, "Scale x")
				}
			}
		}
	})
}

func TestScores(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, tc := range []struct{ nq, n, d, padQ, padD, padO int }{
			{0, 5, 8, 0, 0, 0}, {1, 0, 8, 0, 0, 0}, {1, 1, 0, 0, 0, 0}, {1, 1, 1, 0, 0, 0},
			{1, 7, 13, 1, 2, 0}, {1, 1023, 128, 0, 0, 0}, {2, 1025, 127, 3, 1, 2},
			{1, 3001, 384, 0, 5, 0}, {3, 301, 64, 1, 0, 1}, {16, 700, 96, 0, 3, 4}, {64, 5000, 128, 0, 0, 0},
		} {
			ldq, ldd, ldo := max(1, tc.d+tc.padQ), max(1, tc.d+tc.padD), max(1, tc.n+tc.padO)
			gq, gd, gout := newGuarded(tc.nq*ldq, 1), newGuarded(tc.n*ldd, 2), newGuarded(tc.nq*ldo, 3)
			q, docs, out := gq.s(), gd.s(), gout.s()
			fillRandom(r, q)
			fillRandom(r, docs)
			fillRandom(r, out)
			out0 := append([]float32(nil), out...)
			Scores(tc.nq, tc.n, tc.d, q, ldq, docs, ldd, out, ldo)
			for i := 0; i < tc.nq; i++ {
				for j := 0; j < ldo; j++ {
					if j >= tc.n {
						if out[i*ldo+j] != out0[i*ldo+j] {
							t.Fatalf("%+v: padding out[%d,%d] changed", tc, i, j)
						}
						continue
					}
					want, mag := refDot(q[i*ldq:i*ldq+tc.d], docs[j*ldd:j*ldd+tc.d])
					if d := math.Abs(float64(out[i*ldo+j]) - want); !(d <= gemmTol(tc.d, mag)) {
						t.Fatalf("%+v: out[%d,%d] = %v, want %v", tc, i, j, out[i*ldo+j], want)
					}
				}
			}
			gq.check(t, "Scores q")
			gd.check(t, "Scores docs")
			gout.check(t, "Scores out")
		}
	})
}

func TestTierSelection(t *testing.T) {
	names := Tiers()
	if len(names) == 0 || names[len(names)-1] != "generic" {
		t.Fatalf("Tiers() = %v, want generic last", names)
	}
	if ok, _ := Supported("generic"); !ok {
		t.Fatal("generic tier not supported")
	}
	if _, ok := Use("no-such-tier"); ok {
		t.Fatal("Use accepted an unknown tier")
	}
	sel := Selected()
	restore, ok := Use("generic")
	if !ok || Selected() != "generic" {
		t.Fatalf("Use(generic) = %v, Selected() = %s", ok, Selected())
	}
	restore()
	if Selected() != sel {
		t.Fatalf("restore left %s selected, want %s", Selected(), sel)
	}
	for _, name := range names {
		if ok, reason := Supported(name); !ok {
			if reason == "" {
				t.Errorf("tier %s unsupported without a reason", name)
			}
			if _, used := Use(name); used {
				t.Errorf("Use(%s) succeeded on a CPU that cannot run it", name)
			}
		}
	}
}

// TestDefaultTier checks the choice made at start-up: avx512 on an Intel
// CPU that runs it (full-width FMA units: measured faster there), else avx2
// exactly when the CPU has both AVX2 and FMA3 (avx512 is opt-in off Intel:
// no faster on AMD Zen 4), else generic. CI also runs
// the test binary under emulated CPUs with RRRA_EXPECT_TIER set to the tier
// that must be chosen there.
func TestDefaultTier(t *testing.T) {
	if os.Getenv(EnvTier) != "" {
		t.Skipf("%s is set: the default choice is overridden", EnvTier)
	}
	want := "generic"
	if ok, _ := Supported("avx2"); ok {
		want = "avx2"
	}
	if ok, _ := Supported("avx512"); ok && CPU().Vendor == "GenuineIntel" {
		want = "avx512"
	}
	if ok, _ := Supported("neon"); ok {
		want = "neon"
	}
	if got := defaultTier(floatTiers.all).name; got != want {
		t.Errorf("default tier %s, want %s", got, want)
	}
	if got := Selected(); got != want {
		t.Errorf("selected tier %s, want %s", got, want)
	}
	if exp := os.Getenv("RRRA_EXPECT_TIER"); exp != "" && Selected() != exp {
		t.Errorf("RRRA_EXPECT_TIER=%s but %s was selected (CPU features %v)", exp, Selected(), CPU().Features)
	}
}

// TestArmCoreName checks the MIDR part table and, under an emulated arm64
// CPU (CI sets RRRA_EXPECT_BRAND for qemu -cpu cortex-a72), the brand CPU
// reports.
func TestArmCoreName(t *testing.T) {
	for _, c := range []struct {
		vendor cpuid.Vendor
		part   int
		want   string
	}{
		{cpuid.ARM, 0xd08, "Cortex-A72"},
		{cpuid.ARM, 0xd0c, "Neoverse N1"},
		{cpuid.ARM, 0xd4f, "Neoverse V2"},
		{cpuid.ARM, 0xfff, ""},
		{cpuid.Ampere, 0xd0c, ""}, // part numbers are per implementer
	} {
		if got := armCoreName(c.vendor, c.part); got != c.want {
			t.Errorf("armCoreName(%v, %#x) = %q, want %q", c.vendor, c.part, got, c.want)
		}
	}
	if exp := os.Getenv("RRRA_EXPECT_BRAND"); exp != "" && CPU().Brand != exp {
		t.Errorf("RRRA_EXPECT_BRAND=%s but CPU().Brand is %q (vendor %s, model %#x)", exp, CPU().Brand, CPU().Vendor, CPU().Model)
	}
}
