// Package termui is what kobako's commands (and kobako-pull) show a
// person: progress bars for long reads (import, pull), on stderr and only
// when stderr is a terminal (a log file or a pipe gets no escape codes);
// sizes written as docker writes them; a new image's name.
//
// The library is mpb (github.com/vbauerster/mpb): it imports no net/http,
// so the kobako binary — which is also every container's init, started
// on each `kobako run` — stays small and quick to start.
package termui

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/kobako/kobako/image"
)

// Progress wraps r so that reading it draws a bar: bytes read out of
// total, or a spinner with a byte counter when total is -1 (stdin). The
// returned function erases the bar; call it when reading is over, whether
// it succeeded or not, before printing the result.
func Progress(r io.Reader, total int64, what string) (io.Reader, func()) {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return r, func() {}
	}
	p := mpb.New(mpb.WithOutput(os.Stderr), mpb.WithWidth(30), mpb.WithRefreshRate(100*time.Millisecond))
	name := decor.Name(what+" ", decor.WC{C: decor.DindentRight})
	var bar *mpb.Bar
	if total < 0 {
		bar = p.New(0, mpb.SpinnerStyle(), mpb.BarFillerClearOnAbort(),
			mpb.PrependDecorators(name, decor.Current(decor.SizeB1024(0), "% .1f")))
	} else {
		bar = p.New(total, mpb.BarStyle(), mpb.BarFillerClearOnAbort(),
			mpb.PrependDecorators(name, decor.Counters(decor.SizeB1024(0), "% .1f / % .1f")),
			mpb.AppendDecorators(decor.Percentage(decor.WC{W: 5})))
	}
	reader, err := bar.ProxyReader(r)
	if err != nil { // only for a bar already done, which ours is not
		return r, func() {}
	}
	return reader, func() {
		// Abort with drop: the bar's line is removed, whatever the outcome.
		bar.Abort(true)
		p.Wait()
	}
}

// Size writes a size as docker does: three significant digits and
// decimal units, 1.2MB for 1 234 567 bytes.
func Size(bytes int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	size, unit := float64(bytes), 0
	for size >= 999.5 && unit < len(units)-1 { // 999.5 would print as "1e+03"
		size /= 1000
		unit++
	}
	return fmt.Sprintf("%.3g%s", size, units[unit])
}

// NewImage prints a new image's name on stdout, and on stderr what was
// left out of it.
func NewImage(img *image.Image) {
	if len(img.Skipped) > 0 {
		fmt.Fprintf(os.Stderr, "kobako: skipped %d device nodes and other special files (kobako makes /dev itself): %s\n",
			len(img.Skipped), List(img.Skipped, 5))
	}
	fmt.Println(img.Name)
}

// List joins the first n names and says how many more there are.
func List(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
