package benchenv

import (
	"slices"
	"testing"
)

func TestThreads(t *testing.T) {
	for _, c := range []struct {
		env  string
		want []int
		ok   bool
	}{
		{"", []int{1, 2}, true},
		{"1,4, 16", []int{1, 4, 16}, true},
		{"8", []int{8}, true},
		{"1,,2", nil, false},
		{"0", nil, false},
		{"two", nil, false},
	} {
		t.Setenv(EnvThreads, c.env)
		var got []int
		ok := func() (ok bool) {
			defer func() { ok = recover() == nil }()
			got = Threads()
			return
		}()
		if ok != c.ok || (ok && !slices.Equal(got, c.want)) {
			t.Errorf("%s=%q: %v (ok %v), want %v (ok %v)", EnvThreads, c.env, got, ok, c.want, c.ok)
		}
	}
}
