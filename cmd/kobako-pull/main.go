// Command kobako-pull is the work of `kobako pull`, in a binary of its own.
//
// Pulling needs HTTP, TLS and a registry client (package registry, with
// go-containerregistry): several megabytes of code, and their package
// inits, that every start of the kobako binary would pay for — and kobako
// starts twice for each container, since its init is the same file. So
// kobako pull checks its flags and execs this program, which lives next
// to it (make builds both, make install installs both):
//
//	kobako-pull --data-root DIR [--trace] [--name NAME] [--platform ARCH] [--insecure] [--replace] REF
//
// --replace registers the pulled image over an image of the same name
// (run --pull always), in one rename: until then the old one is there.
//
// with the credentials of --creds in $KOBAKO_PULL_CREDS (USER:PASSWORD),
// not in its arguments, which ps shows every user. kobako pull --help
// says what it does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	goruntime "runtime"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/image/registry"
	"github.com/kobako/kobako/internal/termui"
	"github.com/kobako/kobako/internal/trace"
)

// CredsEnv is where kobako pull puts --creds.
const CredsEnv = "KOBAKO_PULL_CREDS"

func main() {
	if err := pull(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kobako:", err)
		os.Exit(1)
	}
}

// pull reads the command line and pulls the image it names.
func pull(args []string) error {
	flags := flag.NewFlagSet("kobako-pull", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	dataRoot := flags.String("data-root", "", "the image store")
	tracing := flags.Bool("trace", false, "narrate each step")
	local := flags.String("name", "", "the local image name")
	platform := flags.String("platform", "", "linux/ARCH or ARCH")
	insecure := flags.Bool("insecure", false, "plain HTTP to any registry")
	replace := flags.Bool("replace", false, "register over an image of the same name")
	if err := flags.Parse(args); err != nil || flags.NArg() != 1 || *dataRoot == "" {
		return errors.New("kobako-pull is run by kobako pull: see kobako pull --help")
	}
	opts := registry.Options{Insecure: *insecure}
	if creds, ok := os.LookupEnv(CredsEnv); ok {
		opts.Username, opts.Password, _ = strings.Cut(creds, ":")
	}
	ref, err := registry.ParseRef(flags.Arg(0), opts.Insecure)
	if err != nil {
		return err
	}
	if *local == "" {
		*local = image.NameFromRef(flags.Arg(0))
	}
	var tr *trace.Tracer
	if *tracing {
		tr = trace.New(os.Stderr)
	}
	store := image.NewStore(*dataRoot, tr)
	// The name first: a name that is taken is said before any download.
	if opts.Arch, err = store.PrepareImport(*local, image.ImportOptions{Arch: *platform, Replace: *replace}); err != nil {
		return err
	}
	if opts.Arch == "" {
		opts.Arch = goruntime.GOARCH
	}
	// ^C or a TERM ends the pull cleanly: the download fails, the store
	// removes its work dir, nothing is registered.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	remote, err := registry.Fetch(ctx, ref, opts)
	if err != nil {
		return err
	}
	img, err := store.Pull(remote, *local, image.PullOptions{Layer: showLayer, Replace: *replace})
	if err != nil {
		return err
	}
	termui.NewImage(img)
	return nil
}

// showLayer says what happens to each layer: a progress bar of its
// download on a terminal, a line elsewhere.
func showLayer(digest string, size int64, r io.Reader) (io.Reader, func()) {
	short := strings.TrimPrefix(digest, "sha256:")[:12]
	if r == nil {
		fmt.Fprintf(os.Stderr, "%s: already exists\n", short)
		return nil, func() {}
	}
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		fmt.Fprintf(os.Stderr, "%s: downloading %s\n", short, termui.Size(size))
	}
	return termui.Progress(r, size, short)
}
