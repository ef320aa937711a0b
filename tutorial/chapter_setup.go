package tutorial

// Chapter 1, 環境構築: the article's lab was a Vagrant or EC2 Ubuntu 18.04
// with docker, cgroup-tools and libcap built from source. kobako needs
// none of those; kobako doctor says what this host has, and which
// chapters it cannot run.

import (
	"strings"

	"github.com/kobako/kobako/tutorial/doctor"
)

func setupDoctor() *Step {
	return &Step{
		ID:      "setup.doctor",
		Article: "sudo apt install -y docker-ce cgroup-tools uuid-runtime tree iputils-ping make gcc\ngit clone git://git.kernel.org/pub/scm/linux/kernel/git/morgan/libcap.git && make install",
		Task:    Task{Kind: Look},
		Check: func(s *Session) Result {
			s.ui.dim("$ sudo kobako doctor")
			findings := doctor.Check(doctor.ThisHost())
			doctor.Write(s.ui.out, s.lang, findings, s.ui.styled)
			ok, blocked := doctor.Runnable(findings)
			if ok {
				return pass(s.msg.get("check.setup.ok"))
			}
			var lines []string
			for ch, ids := range blocked {
				lines = append(lines, ch+": "+strings.Join(ids, ", "))
			}
			return pass(append([]string{s.msg.get("check.setup.blocked")}, lines...)...)
		},
	}
}

// blockedChapters asks doctor which chapters this host cannot run, and
// why, in the learner's language: each finding's title, what it means and
// what to do.
func (s *Session) blockedChapters() map[string]string {
	findings := doctor.Check(doctor.ThisHost())
	_, blocked := doctor.Runnable(findings)
	if len(blocked) == 0 {
		return nil
	}
	words, err := doctor.LoadCatalogue(s.lang)
	if err != nil {
		words = nil
	}
	byID := map[string]doctor.Finding{}
	for _, f := range findings {
		byID[f.ID] = f
	}
	why := map[string]string{}
	for ch, ids := range blocked {
		var reasons []string
		for _, id := range ids {
			if words == nil {
				reasons = append(reasons, id)
				continue
			}
			e := words.Explain(byID[id])
			reasons = append(reasons, strings.TrimSpace(e.Title+": "+e.Text+" "+e.Fix))
		}
		why[ch] = strings.Join(reasons, "\n")
	}
	return why
}
