package tutorial

// The course: the article's chapters in its order, each with its steps.
// Their words are tutorial/LANG/NN-*.md; the steps themselves are in the
// chapter_*.go files, one per chapter.

func course() []chapterDef {
	return []chapterDef{
		{Slug: "intro", File: "00-intro.md", Steps: []*Step{introProcess()}},
		{Slug: "setup", File: "01-setup.md", Steps: []*Step{setupDoctor()}},
		{Slug: "first", File: "02-first.md", Steps: []*Step{firstOneshot()}},
		{Slug: "namespace", File: "03-namespace.md", Steps: []*Step{nsInodes(), nsUTS(), nsPID(), nsEnter()}},
		{Slug: "cgroup", File: "04-cgroup.md", Steps: []*Step{cgroupFiles(), cgroupMemory(), cgroupCPU()}},
		{Slug: "capability", File: "05-capability.md", Steps: []*Step{capPing(), capNoPing()}},
		{Slug: "pivot-root", File: "06-pivot-root.md", Steps: []*Step{rootChroot(), rootPivot()}},
		{Slug: "cow", File: "07-cow.md", Steps: []*Step{cowOverlay(), cowCommit()}},
		{Slug: "network", File: "08-network.md", Steps: []*Step{netBridge(), netPort()}},
		{Slug: "summary", File: "09-summary.md", Steps: []*Step{summarySpec()}},
	}
}
