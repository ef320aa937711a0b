// Progress bars for long reads (kobako import), on stderr, and only when
// stderr is a terminal: a log file or a pipe gets no escape codes.
package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// withProgress wraps r so that reading it draws a bar: bytes read out of
// total, or a plain byte counter when total is -1 (stdin). The returned
// function erases the bar; call it when reading is over, whether it
// succeeded or not, before printing the result.
func withProgress(r io.Reader, total int64, what string) (io.Reader, func()) {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return r, func() {}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSpinnerType(14),
	)
	reader := progressbar.NewReader(r, bar)
	return &reader, func() {
		// Clear only fails if writing to the terminal does, and then there
		// is no bar left to erase.
		_ = bar.Clear()
	}
}
