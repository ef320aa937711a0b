package image

import "strings"

// NameFromRef is the local name of an image pulled as ref: the last part
// of its repository, and its tag unless that is latest or a digest is
// given ("docker.io/library/bash:5.2" is bash:5.2, "ghcr.io/a/b@sha256:…"
// is b). kobako pull names what it pulls so, and kobako run looks for
// that name before it pulls: one rule, in a package with no registry
// client, so kobako itself need not link one.
func NameFromRef(ref string) string {
	repo, _, hasDigest := strings.Cut(ref, "@")
	tag := ""
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo, tag = repo[:i], repo[i+1:] // a colon after the last / is a tag's, not a port's
	}
	name := repo[strings.LastIndex(repo, "/")+1:]
	if tag != "" && tag != "latest" && !hasDigest {
		name += ":" + tag
	}
	return name
}
