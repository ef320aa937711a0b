package cgroups

// The device list, linux.resources.devices: which device nodes the
// container may read and write (r, w) and make (m). Its meaning is the
// cgroup v1 devices controller's, which the article's readers can type:
//
//	echo a > devices.deny                   # no device at all, to begin with
//	echo 'c 1:3 rwm' > devices.allow        # then /dev/null, …
//
// The kernel keeps, per cgroup, a default ("behavior": allow or deny every
// device) and a list of exceptions to it. The config's list is a sequence
// of edits to that state, applied in order, so a later rule wins over an
// earlier one. This file plays the list into the state once; v1 writes the
// result into the cgroup's files (v1_devices.go), and v2, which has no
// such files, compiles the same result into a BPF program
// (v2_devices.go). Both enforce exactly the same thing. runc calls its
// version of this its devices "emulator".
//
// See Documentation/admin-guide/cgroup-v1/devices.rst, and GO-2022-0396
// for why the list starts from "deny everything" whatever its first rule.

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// deviceAccess is a set of r, w and m, as the bits the kernel hands a v2
// device program (BPF_DEVCG_ACC_*).
type deviceAccess uint32

const (
	accessRead  deviceAccess = unix.BPF_DEVCG_ACC_READ
	accessWrite deviceAccess = unix.BPF_DEVCG_ACC_WRITE
	accessMknod deviceAccess = unix.BPF_DEVCG_ACC_MKNOD
	accessAll                = accessRead | accessWrite | accessMknod
)

// String spells the set as devices.list does: in the order r, w, m.
func (a deviceAccess) String() string {
	var b strings.Builder
	for _, bit := range []struct {
		access deviceAccess
		letter byte
	}{{accessRead, 'r'}, {accessWrite, 'w'}, {accessMknod, 'm'}} {
		if a&bit.access != 0 {
			b.WriteByte(bit.letter)
		}
	}
	return b.String()
}

// anyNumber is a major or minor left out of a rule: the "*" of
// devices.list, every number.
const anyNumber = -1

// deviceRule is one line of devices.allow or devices.deny: a device type
// ('c' character, 'b' block, or 'a' both), the numbers, the access.
type deviceRule struct {
	kind         byte
	major, minor int64 // anyNumber for *
	access       deviceAccess
}

// String is the rule as the kernel reads and lists it: "c 1:3 rwm".
func (r deviceRule) String() string {
	return fmt.Sprintf("%c %s:%s %s", r.kind, numberString(r.major), numberString(r.minor), r.access)
}

func numberString(n int64) string {
	if n == anyNumber {
		return "*"
	}
	return strconv.FormatInt(n, 10)
}

// covers says whether every device o names is one of r's: c 1:* covers
// c 1:3, and each rule covers itself.
func (r deviceRule) covers(o deviceRule) bool {
	return r.kind == o.kind && (r.major == anyNumber || r.major == o.major) && (r.minor == anyNumber || r.minor == o.minor)
}

// overlaps says whether some device is named by both: c 1:* and c *:3
// share c 1:3.
func (r deviceRule) overlaps(o deviceRule) bool {
	same := func(a, b int64) bool { return a == anyNumber || b == anyNumber || a == b }
	return r.kind == o.kind && same(r.major, o.major) && same(r.minor, o.minor)
}

// deviceFilter is the devices controller's state: a default, and the
// exceptions to it, in the order they were made. Every exception goes
// against the default (an allow under "deny everything", a deny under
// "allow everything"), as in the kernel. The kernel checks an access
// against the exceptions one by one (security/device_cgroup.c): under
// "deny everything" one exception must grant all the access asked for at
// once (an open for reading and writing asks r and w), under "allow
// everything" an exception naming any of it refuses.
type deviceFilter struct {
	allowByDefault bool
	exceptions     []deviceRule
}

// newDeviceFilter plays the list, in order, on a state that denies every
// device: a list that does not begin with "deny everything" is still an
// allow list (GO-2022-0396 was runc reading such a list as a deny list).
//
// A config without a list is not filtered at all: its cgroup keeps what it
// inherits (every device), as a config without a memory limit gets none.
// `kobako run` always writes its default list (runtime.DefaultDeviceRules)
// into the config; runc and crun append theirs to any config's list.
func newDeviceFilter(list []specs.LinuxDeviceCgroup) (*deviceFilter, error) {
	f := &deviceFilter{}
	for i, entry := range list {
		rule, err := parseDeviceRule(entry)
		if err == nil {
			err = f.apply(rule, entry.Allow)
		}
		if err != nil {
			return nil, fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
	}
	return f, nil
}

// apply is one edit: "echo $RULE > devices.allow" when allow, else
// devices.deny.
func (f *deviceFilter) apply(r deviceRule, allow bool) error {
	switch {
	case r.kind == 'a' && r.major == anyNumber && r.minor == anyNumber && r.access == accessAll:
		// Every device: a new default, and no exceptions left (the
		// kernel's `echo a > devices.allow` or `devices.deny`).
		f.allowByDefault, f.exceptions = allow, nil
		return nil
	case r.kind == 'a':
		// Part of every device (a *:* m): the same rule for both types.
		// (The kernel itself would read any line starting with "a" as
		// the one above, so it is never written that way.)
		for _, kind := range []byte{'b', 'c'} {
			r.kind = kind
			if err := f.apply(r, allow); err != nil {
				return err
			}
		}
		return nil
	case allow == f.allowByDefault:
		f.remove(r)
		return f.checkNoHole(r, allow)
	default:
		f.add(r)
		return nil
	}
}

// add makes r an exception, merged into one for the same devices, as the
// kernel does.
func (f *deviceFilter) add(r deviceRule) {
	for i, e := range f.exceptions {
		if e.kind == r.kind && e.major == r.major && e.minor == r.minor {
			f.exceptions[i].access |= r.access
			return
		}
	}
	f.exceptions = append(f.exceptions, r)
}

// remove takes r's access out of every exception that names only devices
// r names: a later "deny c 1:* rwm" cancels an earlier "allow c 1:3 r".
// (The kernel's own removal matches the very same line only.)
func (f *deviceFilter) remove(r deviceRule) {
	var kept []deviceRule
	for _, e := range f.exceptions {
		if r.covers(e) {
			e.access &^= r.access
		}
		if e.access != 0 {
			kept = append(kept, e)
		}
	}
	f.exceptions = kept
}

// checkNoHole refuses a rule that would cut a hole in a wider exception
// ("deny c 1:3 w" after "allow c 1:* rwm"): the kernel keeps exceptions as
// rules, not as sets of devices, and v1 silently ignores such a write.
// Enforcing less than the config says is not an option; runc refuses too.
func (f *deviceFilter) checkNoHole(r deviceRule, allow bool) error {
	verb, other := "deny", "allows"
	if allow {
		verb, other = "allow", "denies"
	}
	for _, e := range f.exceptions {
		if r.overlaps(e) && e.access&r.access != 0 {
			return fmt.Errorf("%s %s: an earlier rule %s %s, and the devices cgroup cannot cut devices out of a rule: list the devices one by one instead",
				verb, r, other, e)
		}
	}
	return nil
}

// parseDeviceRule reads one entry of the config's list. A missing type is
// every type, a missing number every number, and a missing access every
// access, as in `echo a > devices.deny`.
func parseDeviceRule(entry specs.LinuxDeviceCgroup) (deviceRule, error) {
	r := deviceRule{kind: 'a', major: anyNumber, minor: anyNumber, access: accessAll}
	switch entry.Type {
	case "", "a":
	case "b", "c":
		r.kind = entry.Type[0]
	default:
		return r, fmt.Errorf("type %q: the devices cgroup knows a (all), b (block) and c (character)", entry.Type)
	}
	var err error
	if r.major, err = deviceNumber("major", entry.Major); err != nil {
		return r, err
	}
	if r.minor, err = deviceNumber("minor", entry.Minor); err != nil {
		return r, err
	}
	if entry.Access != "" {
		r.access, err = parseAccess(entry.Access)
	}
	return r, err
}

// deviceNumber checks a major or minor: the kernel's are 32-bit unsigned.
func deviceNumber(name string, n *int64) (int64, error) {
	switch {
	case n == nil:
		return anyNumber, nil
	case *n < 0 || *n > math.MaxUint32:
		return 0, fmt.Errorf("%s %d: a device number is 0 to %d; leave it out for every number", name, *n, uint32(math.MaxUint32))
	}
	return *n, nil
}

// parseAccess reads letters of rwm.
func parseAccess(s string) (deviceAccess, error) {
	var a deviceAccess
	for _, c := range s {
		switch c {
		case 'r':
			a |= accessRead
		case 'w':
			a |= accessWrite
		case 'm':
			a |= accessMknod
		default:
			return 0, fmt.Errorf("access %q: use letters of rwm (read, write, mknod)", s)
		}
	}
	return a, nil
}

// RuncDefaultDeviceRules is the allow list runc 1.1 appends to every
// config's devices list (libcontainer/specconv AllowedDevices): mknod of
// any device, the harmless character devices every program expects, the
// ptys, and /dev/net/tun. The runtime-spec does not ask for it, but the
// engines rely on it: podman's config says only "deny all" and leaves
// /dev/null and the rest to the runtime, so without this list podman's
// containers get EPERM opening /dev/null. Appended after the config's own
// rules, as runc does, so a later rule of the list wins over the config.
func RuncDefaultDeviceRules() []specs.LinuxDeviceCgroup {
	return []specs.LinuxDeviceCgroup{
		deviceAllow("c", anyNumber, anyNumber, "m"), // mknod of any character device …
		deviceAllow("b", anyNumber, anyNumber, "m"), // … and block device; using one is another matter
		deviceAllow("c", 1, 3, "rwm"),               // /dev/null
		deviceAllow("c", 1, 8, "rwm"),               // /dev/random
		deviceAllow("c", 1, 7, "rwm"),               // /dev/full
		deviceAllow("c", 5, 0, "rwm"),               // /dev/tty
		deviceAllow("c", 1, 5, "rwm"),               // /dev/zero
		deviceAllow("c", 1, 9, "rwm"),               // /dev/urandom
		deviceAllow("c", 5, 2, "rwm"),               // /dev/ptmx
		deviceAllow("c", 136, anyNumber, "rwm"),     // /dev/pts/*
		deviceAllow("c", 10, 200, "rwm"),            // /dev/net/tun
	}
}

// deviceAllow is one "allow" entry of the config's list; anyNumber leaves
// the number out (every number, "*").
func deviceAllow(kind string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	rule := specs.LinuxDeviceCgroup{Allow: true, Type: kind, Access: access}
	if major != anyNumber {
		rule.Major = &major
	}
	if minor != anyNumber {
		rule.Minor = &minor
	}
	return rule
}
