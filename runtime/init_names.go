package runtime

// What callers of runtime (the container package, the command line) name
// of the container's init: its code lives in runtime/initproc, the package
// kobako-init is built from, and these are the same things under runtime's
// name, so that callers never reach past runtime.

import "github.com/kobako/kobako/runtime/initproc"

// InitError is a failure the init reported before the user's command ran.
type InitError = initproc.InitError

// Annotations the init reads from the config.
const (
	UserAnnotation = initproc.UserAnnotation // the user as `run -u` gave it
	InitAnnotation = initproc.InitAnnotation // run --init: the reaper as PID 1
)

// The capability and rlimit names the init knows, for checking flags early.
var (
	BoundingSet     = initproc.BoundingSet
	KnownCapability = initproc.KnownCapability
	RlimitResource  = initproc.RlimitResource
)
