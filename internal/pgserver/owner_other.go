//go:build !unix

package pgserver

import "os/exec"

// owner is the user the PostgreSQL binaries run as: off Unix, always this
// process's own.
type owner struct{}

func serverOwner() (owner, error) { return owner{}, nil }

func (owner) apply(*exec.Cmd) {}

func (owner) chown(string) error { return nil }
