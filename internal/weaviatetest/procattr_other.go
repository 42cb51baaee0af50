//go:build !linux

package weaviatetest

import "syscall"

// dieWithParent is nil where the kernel cannot kill a child with its
// parent: a server outlives a test binary killed by its timeout.
func dieWithParent() *syscall.SysProcAttr { return nil }
