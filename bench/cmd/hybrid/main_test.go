package main

import (
	"math"
	"strings"
	"testing"
)

// TestCheckFlags checks every numeric flag's domain, hostile values
// included, and that the defaults pass.
func TestCheckFlags(t *testing.T) {
	if err := checkFlags(100, 5, 0, ""); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for _, c := range []struct {
		k, folds int
		devFrac  float64
		crossfit string
		want     string
	}{
		{0, 5, 0, "", "--k 0"}, {-1, 5, 0, "", "--k -1"}, {1 << 40, 5, 0, "", "--k 1099511627776"},
		{100, 1, 0, "", "--folds 1"}, {100, -3, 0, "", "--folds -3"}, {100, 1 << 30, 0, "", "--folds 1073741824"},
		{100, 5, -0.1, "", "--dev-frac -0.1"}, {100, 5, 1, "", "--dev-frac 1"}, {100, 5, math.NaN(), "", "--dev-frac NaN"},
		{100, 5, math.Inf(1), "", "--dev-frac +Inf"}, {100, 5, 0.3, "a,b", "exclude each other"},
	} {
		if err := checkFlags(c.k, c.folds, c.devFrac, c.crossfit); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c, err, c.want)
		}
	}
}
