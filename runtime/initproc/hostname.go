package initproc

// The host name: the article's `hostname $UUID`, which only changes the
// name inside the new UTS namespace — and its neighbour there, the NIS
// domain name (`domainname`, the config's "domainname"). See
// uts_namespaces(7).

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

func setHostname(spec *specs.Spec, tr *trace.Tracer) error {
	if spec.Hostname == "" {
		return nil
	}
	if !HasNamespace(spec.Linux, specs.UTSNamespace) {
		return fmt.Errorf("hostname %q needs a UTS namespace of its own", spec.Hostname)
	}
	// hostname $UUID
	err := unix.Sethostname([]byte(spec.Hostname))
	tr.Step("set hostname", "hostname "+spec.Hostname, fmt.Sprintf("unix.Sethostname([]byte(%q))", spec.Hostname), err)
	if err != nil {
		return fmt.Errorf("sethostname %q: %w", spec.Hostname, err)
	}
	return nil
}

// setDomainname sets the NIS domain name of the container's UTS namespace
// (the one `uname -a` does not show, and `domainname` prints).
func setDomainname(spec *specs.Spec, tr *trace.Tracer) error {
	if spec.Domainname == "" {
		return nil
	}
	if !HasNamespace(spec.Linux, specs.UTSNamespace) {
		return fmt.Errorf("domainname %q needs a UTS namespace of its own", spec.Domainname)
	}
	// domainname $NAME
	err := unix.Setdomainname([]byte(spec.Domainname))
	tr.Step("set domain name", "domainname "+spec.Domainname, fmt.Sprintf("unix.Setdomainname([]byte(%q))", spec.Domainname), err)
	if err != nil {
		return fmt.Errorf("setdomainname %q: %w", spec.Domainname, err)
	}
	return nil
}
