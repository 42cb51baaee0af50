//go:build !amd64

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "insnprobe: x86-64 only")
	os.Exit(1)
}
