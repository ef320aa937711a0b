package cgroups

// Delegation: where a user who is not root may make cgroups. On cgroup v2
// a subtree can be handed to a user by giving it the subtree's directory
// and its cgroup.procs, cgroup.subtree_control and cgroup.threads files
// (cgroup-v2.rst, "Delegation"); systemd does so for each user's
// user@UID.service, and for a unit with Delegate=yes:
//
//	systemd-run --user --scope -p Delegate=yes kobako run --userns --memory 10m busybox sh
//
// A user's kobako makes its containers' cgroups in the highest delegated
// cgroup above its own, next to it: <delegated>/kobako/<id>. Moving a
// process between two cgroups needs write access to cgroup.procs of the
// cgroup that holds both, so it must be the user's too.
//
// cgroup v1 has no such thing that is safe: a user is never given a v1
// hierarchy, and a rootless kobako there makes no cgroup at all.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrNotDelegated is wrapped by the error for a user with no cgroup of its
// own to make cgroups in.
var ErrNotDelegated = errors.New("no delegated cgroup")

// DelegatedParent returns the cgroup a user's containers go under on v2:
// <the highest cgroup above our own that is ours>/kobako. It fails,
// wrapping ErrNotDelegated, on v1 and where our own cgroup is not ours.
func DelegatedParent(l *Layout) (string, error) {
	if l.Mode != V2 {
		return "", fmt.Errorf("%w: cgroup v1 cannot be delegated to a user", ErrNotDelegated)
	}
	// cat /proc/self/cgroup
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	own, err := parseOwnCgroup(f)
	if err != nil {
		return "", err
	}
	top := ""
	for dir := own; dir != "/"; dir = path.Dir(dir) {
		if !delegatedToUs(l.V2 + dir) {
			break
		}
		top = dir
	}
	if top == "" || top == own {
		// Our own cgroup holds our process: it can have no children with
		// controllers ("no internal processes").
		return "", fmt.Errorf("%w: kobako's own cgroup %s is not inside a subtree delegated to uid %d", ErrNotDelegated, own, os.Geteuid())
	}
	return path.Join(top, Parent), nil
}

// parseOwnCgroup finds the v2 line of /proc/self/cgroup, "0::/path".
func parseOwnCgroup(r io.Reader) (string, error) {
	scan := bufio.NewScanner(r)
	for scan.Scan() {
		if p, ok := strings.CutPrefix(scan.Text(), "0::"); ok {
			return p, nil
		}
	}
	if err := scan.Err(); err != nil {
		return "", fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	return "", errors.New("/proc/self/cgroup has no cgroup v2 line (0::/…)")
}

// delegatedToUs says whether we may create cgroups in dir and move
// processes through it: the directory and its cgroup.procs are writable
// by us.
func delegatedToUs(dir string) bool {
	// test -w $DIR && test -w $DIR/cgroup.procs
	return unix.Access(dir, unix.W_OK) == nil && unix.Access(dir+"/cgroup.procs", unix.W_OK) == nil
}
