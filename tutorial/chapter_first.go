package tutorial

// Chapter 2, コンテナを作ってみよう: the article's one long command — cgexec,
// unshare -muinpfr, mount proc, bind the tty and /dev/null, hostname,
// capsh --chroot — and kobako run, which does the same. The learner looks
// around and finds that their shell is PID 1.

import "strings"

func firstOneshot() *Step {
	const name = Prefix + "first"
	return &Step{
		ID: "first.oneshot",
		Article: shellLines(
			`cgexec -g cpu,memory:$UUID \`,
			`  unshare -muinpfr /bin/sh -c "`,
			`    mount -t proc proc $ROOTFS/proc &&`,
			`    touch $ROOTFS$(tty); mount --bind $(tty) $ROOTFS$(tty) &&`,
			`    touch $ROOTFS/dev/pts/ptmx; mount --bind /dev/pts/ptmx $ROOTFS/dev/pts/ptmx &&`,
			`    ln -sf /dev/pts/ptmx $ROOTFS/dev/ptmx &&`,
			`    touch $ROOTFS/dev/null && mount --bind /dev/null $ROOTFS/dev/null &&`,
			`    /bin/hostname $UUID &&`,
			`    exec capsh --chroot=$ROOTFS --drop=cap_sys_chroot -- -c 'exec $CMD'`,
			`  "`),
		Code:  []CodeRef{{File: "runtime/initproc/init.go", Func: "initContainer", Around: "unshare -C: now"}},
		Trace: "コンテナを作ってみよう|pivot_root",
		Setup: func(s *Session) error {
			s.vars["name"] = name
			_, err := s.ensure(name, shellArgs("--memory", "10m", "--cpus", "0.3")...)
			return err
		},
		Task:  Task{Kind: InShell, Container: name},
		Typed: "ps; hostname; id; echo $$ > /answer",
		Check: func(s *Session) Result {
			return s.checkAnswerFile(name, func(answer string) (bool, string) {
				return answer == "1", s.msg.get("check.first.pid", answer)
			}, "check.first.ok", "check.first.wrong")
		},
	}
}

// checkAnswerFile reads /answer in a container (kobako exec … cat: the file
// is the learner's, so it is read from inside, never through a path the
// container could aim elsewhere) and judges it.
func (s *Session) checkAnswerFile(name string, judge func(string) (bool, string), okKey, wrongKey string) Result {
	if _, err := s.k.running(name); err != nil {
		return s.broken(err)
	}
	out, err := s.exec(name, "cat", "/answer")
	if err != nil {
		return fail(s.msg.get("check.no_answer"))
	}
	ok, detail := judge(strings.TrimSpace(out))
	if ok {
		return pass(s.msg.get(okKey), detail)
	}
	return fail(s.msg.get(wrongKey), detail)
}
