package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// devtools drives a headless Chromium over the DevTools protocol on the
// pipe that --remote-debugging-pipe opens: the browser reads commands from
// its file descriptor 3 and writes replies and events to descriptor 4,
// each message a JSON object ended by a NUL byte. Only what the page test
// needs is here: commands with replies, in flat sessions; events are
// dropped.
type devtools struct {
	cmd     *exec.Cmd
	w       io.WriteCloser
	mu      sync.Mutex
	next    int
	waiting map[int]chan devtoolsReply
	dead    chan struct{} // closed when the reader stops
	err     error         // why it stopped
}

type devtoolsReply struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// startDevtools starts the browser with the given flags plus
// --remote-debugging-pipe, killed when ctx ends.
func startDevtools(ctx context.Context, browser string, flags ...string) (*devtools, error) {
	toBrowser, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	fromR, fromBrowser, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, browser, append(flags, "--remote-debugging-pipe")...)
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser} // descriptors 3 and 4
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	toBrowser.Close()
	fromBrowser.Close()
	d := &devtools{cmd: cmd, w: cmdW, waiting: map[int]chan devtoolsReply{}, dead: make(chan struct{})}
	go d.read(fromR)
	return d, nil
}

func (d *devtools) read(r io.ReadCloser) {
	defer r.Close()
	br := bufio.NewReader(r)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			d.mu.Lock()
			d.err = fmt.Errorf("devtools pipe: %w", err)
			d.mu.Unlock()
			close(d.dead)
			return
		}
		var rep devtoolsReply
		if json.Unmarshal(msg[:len(msg)-1], &rep) != nil || rep.ID == 0 {
			continue // an event
		}
		d.mu.Lock()
		ch := d.waiting[rep.ID]
		delete(d.waiting, rep.ID)
		d.mu.Unlock()
		if ch != nil {
			ch <- rep
		}
	}
}

// call sends a command (in session when not empty) and decodes its result
// into out, when out is not nil.
func (d *devtools) call(session, method string, params, out any) error {
	d.mu.Lock()
	d.next++
	id := d.next
	ch := make(chan devtoolsReply, 1)
	d.waiting[id] = ch
	d.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := d.w.Write(append(b, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case rep := <-ch:
		if rep.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, rep.Error.Message, rep.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(rep.Result, out)
		}
		return nil
	case <-d.dead:
		d.mu.Lock()
		defer d.mu.Unlock()
		return fmt.Errorf("%s: %w", method, d.err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its
// value (returned by value) into out.
func (d *devtools) eval(session, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := d.call(session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("evaluating %q: %s", expr, r.ExceptionDetails.Text)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// key presses and releases one key: a printable character, or "Enter".
func (d *devtools) key(session string, k string) error {
	down := map[string]any{"type": "keyDown", "key": k, "text": k}
	up := map[string]any{"type": "keyUp", "key": k}
	if k == "Enter" {
		down = map[string]any{"type": "keyDown", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"}
		up = map[string]any{"type": "keyUp", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
	}
	if err := d.call(session, "Input.dispatchKeyEvent", down, nil); err != nil {
		return err
	}
	return d.call(session, "Input.dispatchKeyEvent", up, nil)
}

// click presses and releases the left mouse button at the centre of the
// element that the CSS selector names.
func (d *devtools) click(session, selector string) error {
	var at struct{ X, Y float64 }
	expr := fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return {X: r.x + r.width/2, Y: r.y + r.height/2}; })()`, selector)
	if err := d.eval(session, expr, &at); err != nil {
		return err
	}
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		if err := d.call(session, "Input.dispatchMouseEvent", map[string]any{"type": typ, "x": at.X, "y": at.Y, "button": "left", "clickCount": 1}, nil); err != nil {
			return err
		}
	}
	return nil
}

// waitFor evaluates expr (a boolean expression) until it is true, pausing
// between tries; it gives up after tries attempts, a hung page and not a
// speed limit.
func (d *devtools) waitFor(t *testing.T, session, expr string, tries int) {
	t.Helper()
	for range tries {
		var ok bool
		if err := d.eval(session, expr, &ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the page never satisfied %s", expr)
}

// close asks the browser to exit and waits for it.
func (d *devtools) close() {
	_ = d.call("", "Browser.close", nil, nil)
	d.w.Close()
	_ = d.cmd.Wait()
}
