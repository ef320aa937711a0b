package main

// kobako doctor: check this host and explain each finding (tutorial/doctor).
//
//	kobako-tutor doctor --kobako PATH --root DIR --data-root DIR [--lang ja|en] [--json]
//
// Exit status 0 when every tutorial chapter can run here, 1 when one
// cannot, 2 for a wrong command line.

import (
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/kobako/kobako/tutorial/doctor"
	"github.com/kobako/kobako/tutorial/lang"
)

// doctorMain reads kobako doctor's flags, checks the host and prints the
// report (or JSON).
func doctorMain(args []string) int {
	flags := flag.NewFlagSet("kobako doctor", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	// kobako hands its own path and global flags to every helper; the
	// checks read the host, not kobako's directories
	flags.String("kobako", "", "the kobako binary")
	flags.String("root", "/run/kobako", "kobako's --root")
	flags.String("data-root", "/var/lib/kobako", "kobako's --data-root")
	language := flags.String("lang", lang.FromEnv(os.Getenv), "ja or en")
	asJSON := flags.Bool("json", false, "print the findings as JSON")
	if code, done := parseFlags(flags, args, "doctor", doctorUsage, language); done {
		return code
	}

	findings := doctor.Check(doctor.ThisHost())
	var err error
	if *asJSON {
		err = doctor.WriteJSON(os.Stdout, *language, findings)
	} else {
		err = doctor.Write(os.Stdout, *language, findings, colourful(os.Stdout))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kobako: doctor:", err)
		return 1
	}
	if ok, _ := doctor.Runnable(findings); !ok {
		return 1
	}
	return 0
}

// colourful: colour on a terminal, unless NO_COLOR is set (no-color.org:
// set to anything, even empty).
func colourful(f *os.File) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

const doctorUsage = `Usage: kobako doctor [--lang ja|en] [--json]

Checks what containers need from this host — root, the kernel, the cgroup
version and its controllers, overlayfs, user namespaces (and Ubuntu 24.04's
AppArmor restriction of them), seccomp, idmapped mounts, nftables and
ip_forward, busybox, binfmt — and explains each finding with what to do.
For readers of the 2019 article it also says why its commands act
differently on this host.

  --lang ja|en   the language (default: from LC_ALL, LC_MESSAGES, LANG)
  --json         the findings as JSON, for scripts

Exit status 0 when every tutorial chapter can run here, 1 otherwise.

Examples:
  sudo kobako doctor
  kobako doctor --json | jq .
`
