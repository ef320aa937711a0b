package initproc

// The kernel's keyrings (keyrings(7)) hold secrets — credentials, keys for
// encrypted file systems — and they belong to no namespace. A process
// inherits its parent's session keyring: a container would share the host
// session's keys. So the init joins a fresh session keyring of the
// container's own, as runc does ("_ses.<id>"); an exec'd process joins the
// same one by name.
//
// This is not the whole guard: root's per-user keyring is one and the same
// object for the host and every container of uid 0. What really keeps
// containers away from keys is the seccomp profile, which refuses keyctl,
// add_key and request_key.

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

func joinSessionKeyring(id string, tr *trace.Tracer) error {
	name := "_ses." + id
	// keyctl session _ses.$ID
	_, err := unix.KeyctlJoinSessionKeyring(name)
	tr.Step("a session keyring of its own", "keyctl session "+name, fmt.Sprintf("unix.KeyctlJoinSessionKeyring(%q)", name), err)
	if errors.Is(err, unix.ENOSYS) {
		return nil // a kernel built without keys has none to share
	}
	if err != nil {
		return fmt.Errorf("join a session keyring: %w", err)
	}
	return nil
}
