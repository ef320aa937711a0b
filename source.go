// Package kobako holds kobako's own source, embedded, so that the tutorial
// can quote the Go code that does each step of the article — file, line and
// lines taken from this very build, so a quotation can never drift from the
// code it quotes (tutorial/source.go looks a function up by name; a test
// fails when one the tutorial names is renamed or moved).
//
// Only kobako-tutor links this package: kobako itself, which every
// container's init is, stays as small as it was.
package kobako

import "embed"

// Source is the Go source of the packages the tutorial quotes.
//
//go:embed tutorial/chrootdemo/*.go runtime/*.go runtime/initproc/*.go runtime/seccomp/*.go rootfs/*.go rootfs/unpack/*.go cgroups/*.go netns/*.go container/*.go image/*.go internal/trace/*.go
var Source embed.FS
