package chrootdemo

// What the demo's root keeps: CAP_SYS_CHROOT, the capability the article's
// container drops and this demo keeps on purpose, and the three a root
// shell needs to act as root in its own files. Shell twin:
//
//	capsh --drop=<all others> \
//	      --caps=cap_chown,cap_dac_override,cap_fowner,cap_sys_chroot+ep \
//	      --noamb
//	setpriv --no-new-privs
//
// The bounding set is the one that counts: on execve, root gets its
// bounding set as its permitted set whatever it had before (see
// capabilities(7)), so every capability not kept must leave the bounding
// set, not just the effective one. CAP_SYS_ADMIN above all goes: with it
// the demo could remount the marker read-write, /proc/sys too, or mount
// anything at all. The inheritable and ambient sets stay empty.

import (
	"fmt"

	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"
)

// kept are the demo's capabilities.
var kept = []capability.Cap{
	capability.CAP_CHOWN,
	capability.CAP_DAC_OVERRIDE,
	capability.CAP_FOWNER,
	capability.CAP_SYS_CHROOT,
}

// dropCapabilities keeps only kept, in every set, and sets no_new_privs.
// It runs on the init's locked thread: capabilities belong to a thread.
func dropCapabilities() error {
	// A new value starts empty: only what is set here survives.
	caps, err := capability.NewPid2(0)
	if err != nil {
		return fmt.Errorf("capabilities: %w", err)
	}
	caps.Set(capability.BOUNDING|capability.EFFECTIVE|capability.PERMITTED, kept...)
	// capsh --drop=… --caps=…+ep --noamb: prctl(PR_CAPBSET_DROP) for each
	// one not kept (first, while CAP_SETPCAP is still ours), then one
	// capset(2), then the ambient set emptied.
	if err := caps.Apply(capability.BOUNDS | capability.CAPS | capability.AMBS); err != nil {
		return fmt.Errorf("capset cap_chown,cap_dac_override,cap_fowner,cap_sys_chroot+ep: %w", err)
	}
	// setpriv --no-new-privs: no setuid binary or file capability can
	// give anything back.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl PR_SET_NO_NEW_PRIVS: %w", err)
	}
	return nil
}
