// Package fault holds kobako's fault points: named places where a test
// build can make a step fail as the kernel might (a cgroup mkdir refused,
// a bridge with no address left, the init failing at pivot_root), so that
// tests/fault_test.go can check that every failure gives one clear error
// and leaves the host exactly as it was.
//
// A fault point is one line, at the step it stands for:
//
//	// fault point: the bridge has no address left (ipam-exhausted)
//	if err := fault.Check("ipam-exhausted"); err != nil { … }
//
// In the shipped binary Check is a constant nil that the compiler removes
// (off.go, built without tags): no fault can be injected into it, and the
// binary does not even hold the name of the variable that chooses them —
// tests/fault_test.go builds it and looks. Built with -tags faultinject
// (on.go), Check fails at the points named in the environment variable
// KOBAKO_FAULTS, a comma list:
//
//	KOBAKO_FAULTS=cgroup-mkdir:5,init:pivot_root
//
// The points, in the order a `kobako run` reaches them:
//
//	cgroup-mkdir        cgroups/path.go                mkdir -p of the cgroup, per hierarchy
//	init:config         runtime/initproc/init.go       the init's config read
//	init:cgroupns       runtime/initproc/namespaces.go unshare -C
//	init:mounts         runtime/initproc/init.go       after rootfs.Prepare's mounts
//	init:hooks          runtime/initproc/hooks.go      createContainer hooks
//	init:seal           rootfs/prepare.go              masked and read-only paths
//	init:pivot_root     rootfs/pivot_root.go           pivot_root
//	init:console        runtime/initproc/console.go    the pty (-t)
//	init:user           runtime/initproc/user.go       -u NAME looked up
//	ipam-exhausted      netns/ipam.go                  a bridge address chosen
//	init:capabilities   runtime/initproc/execve.go     capabilities dropped (after start)
//	init:seccomp        runtime/initproc/execve.go     the filter loaded (after start)
//	init:execve         runtime/initproc/execve.go     execve of the command (after start)
//
// A full disk and a read-only state dir need no point: a small tmpfs and a
// read-only bind mount give the real ENOSPC and EROFS.
//
// A name alone fails each time the point is reached; name:N fails only
// the Nth time in that process (cgroup-mkdir:5: the fifth hierarchy's
// mkdir). Each kobako process counts for itself.
//
// The container's init is kobako-init, started with an empty environment,
// so it cannot read KOBAKO_FAULTS. The list reaches it through the init's
// config instead: Config (runtime/initproc/protocol.go) has one field of type
// Inherit, which marshals to the parent's list when the parent encodes
// the config and, when the init decodes it, makes that list the init's
// own. No code that builds the config has to know about faults, and in
// the shipped build Inherit is an empty value that is never sent and
// ignored if received.
package fault
