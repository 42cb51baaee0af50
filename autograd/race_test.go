//go:build race

package autograd

const raceEnabled = true
