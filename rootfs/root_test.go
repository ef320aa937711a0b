package rootfs

import (
	"testing"

	"github.com/kobako/kobako/internal/testenv"
)

// requireRoot: these tests mount, make device nodes and change
// propagation, which only root may.
func requireRoot(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t, "it mounts and makes device nodes")
}
