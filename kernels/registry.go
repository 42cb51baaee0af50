package kernels

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// A tier of any kind (float32, int8, bfloat16) as its registry sees it.
type tierKind interface {
	tierName() string
	tierStatus() (supported bool, reason string)
}

func (t *tier) tierName() string               { return t.name }
func (t *tier) tierStatus() (bool, string)     { return t.supported, t.reason }
func (t *int8Tier) tierName() string           { return t.name }
func (t *int8Tier) tierStatus() (bool, string) { return t.supported, t.reason }
func (t *bf16Tier) tierName() string           { return t.name }
func (t *bf16Tier) tierStatus() (bool, string) { return t.supported, t.reason }

// registry holds one kind's tiers, best first, and the one in use: the
// kernel dispatch table, chosen once at start-up and switched only by
// tests and benchmarks (use).
type registry[E any, P interface {
	*E
	tierKind
}] struct {
	kind string // "tier", "integer tier", "bfloat16 tier", for messages
	all  []P
	cur  atomic.Pointer[E]
}

// start records the tiers and selects def, or the tier the environment
// variable env names (also, when env is unset, the one alsoEnv names, for
// a kind that follows RRRA_KERNELS=generic). An unknown or unsupported
// name is reported on stderr and def kept.
func (r *registry[E, P]) start(all []P, def P, env, alsoEnv string) {
	r.all = all
	choice := def
	name := os.Getenv(env)
	if name == "" && alsoEnv != "" && os.Getenv(alsoEnv) == "generic" {
		name = "generic"
	}
	if name != "" {
		if t := r.lookup(name); t == nil {
			fmt.Fprintf(os.Stderr, "rrra/kernels: %s=%q names no %s (have %s); using %s\n",
				env, name, r.kind, strings.Join(r.names(), ", "), choice.tierName())
		} else if ok, reason := t.tierStatus(); !ok {
			fmt.Fprintf(os.Stderr, "rrra/kernels: %s=%q: %s; using %s\n", env, name, reason, choice.tierName())
		} else {
			choice = t
		}
	}
	r.cur.Store(choice)
}

// best returns the first supported tier (the generic one always is).
func (r *registry[E, P]) best(all []P) P {
	for _, t := range all {
		if ok, _ := t.tierStatus(); ok {
			return t
		}
	}
	return all[len(all)-1]
}

func (r *registry[E, P]) lookup(name string) P {
	for _, t := range r.all {
		if t.tierName() == name {
			return t
		}
	}
	return nil
}

func (r *registry[E, P]) names() []string {
	names := make([]string, len(r.all))
	for i, t := range r.all {
		names[i] = t.tierName()
	}
	return names
}

func (r *registry[E, P]) supported(name string) (bool, string) {
	t := r.lookup(name)
	if t == nil {
		return false, fmt.Sprintf("%s %q is not compiled into this binary", r.kind, name)
	}
	return t.tierStatus()
}

func (r *registry[E, P]) use(name string) (restore func(), ok bool) {
	t := r.lookup(name)
	if t == nil {
		return func() {}, false
	}
	if ok, _ := t.tierStatus(); !ok {
		return func() {}, false
	}
	prev := r.cur.Swap(t)
	return func() { r.cur.Store(prev) }, true
}

func (r *registry[E, P]) load() P { return r.cur.Load() }

func (r *registry[E, P]) selected() string { return r.load().tierName() }
