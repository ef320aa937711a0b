// Progress bars for long reads (kobako import), on stderr, and only when
// stderr is a terminal: a log file or a pipe gets no escape codes.
//
// The library is mpb (github.com/vbauerster/mpb): it imports no net/http,
// so the kobako binary — which is also every container's init, started
// on each `kobako run` — stays small and quick to start.
package main

import (
	"io"
	"os"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// withProgress wraps r so that reading it draws a bar: bytes read out of
// total, or a spinner with a byte counter when total is -1 (stdin). The
// returned function erases the bar; call it when reading is over, whether
// it succeeded or not, before printing the result.
func withProgress(r io.Reader, total int64, what string) (io.Reader, func()) {
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
