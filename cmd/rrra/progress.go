package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// A progress reports a long task on stderr. On a terminal it redraws one
// line in place, with a bar, the rate and the time left; elsewhere (a log
// file, a pipe) it writes a plain line at each tenth of the task, so logs
// stay readable.
type progress struct {
	w           io.Writer
	tty         bool
	what, unit  string
	total       int
	began, last time.Time
	tenth       int // the last tenth written, off a terminal
}

// newProgress starts reporting a task of total units on w.
func newProgress(w io.Writer, what, unit string, total int) *progress {
	now := time.Now()
	return &progress{w: w, tty: isTerminal(w), what: what, unit: unit, total: total, began: now, tenth: -1}
}

// docProgress returns an Encoder progress callback that reports encoding
// n documents on w.
func docProgress(w io.Writer, n int) func(done int) {
	pr := newProgress(w, "encoding", "docs", n)
	return func(done int) { pr.update(done, "") }
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update reports done units, with an optional note (a loss, say).
func (p *progress) update(done int, note string) {
	now := time.Now()
	if p.tty {
		if done < p.total && now.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last = now
		fmt.Fprintf(p.w, "\r\033[K%s", p.line(done, now, note))
		if done >= p.total {
			fmt.Fprintln(p.w)
		}
		return
	}
	tenth := 10 * done / max(p.total, 1)
	if tenth == p.tenth && done < p.total {
		return
	}
	p.tenth = tenth
	fmt.Fprintln(p.w, p.line(done, now, note))
}

// line renders "what [=====>    ] done/total unit  rate unit/s  eta 12s  note".
func (p *progress) line(done int, now time.Time, note string) string {
	const width = 24
	fill := width * done / max(p.total, 1)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	el := now.Sub(p.began).Seconds()
	rate := float64(done) / max(el, 1e-9)
	eta := "—"
	if done > 0 && done < p.total {
		eta = (time.Duration(float64(p.total-done)/rate) * time.Second).Round(time.Second).String()
	} else if done >= p.total {
		eta = "0s"
	}
	s := fmt.Sprintf("%s [%s] %d/%d %s  %.1f %s/s  eta %s", p.what, bar, done, p.total, p.unit, rate, p.unit, eta)
	if note != "" {
		s += "  " + note
	}
	return s
}

// clearLine wraps a log writer so that, on a terminal, each log line
// first clears a progress line drawn in place (a write that continues a
// line clears nothing).
type clearLine struct {
	w       io.Writer
	tty     bool
	midLine bool // the last write did not end a line
}

func (c *clearLine) Write(b []byte) (int, error) {
	if c.tty && !c.midLine && len(b) > 0 {
		if _, err := io.WriteString(c.w, "\r\033[K"); err != nil {
			return 0, err
		}
	}
	if len(b) > 0 {
		c.midLine = b[len(b)-1] != '\n'
	}
	return c.w.Write(b)
}
