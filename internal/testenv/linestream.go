package testenv

import (
	"errors"
	"io"
)

// ErrServedTooMuch is what a LineStream returns once it has served more
// than its Limit.
var ErrServedTooMuch = errors.New("the reader read far past its line limit")

// A LineStream serves Head, then N bytes of Fill (N < 0: without end),
// then Tail, counting what it serves in Served. Past Limit bytes it fails
// with ErrServedTooMuch, so that a reader that does not stop at its line
// limit fails its test instead of exhausting memory.
type LineStream struct {
	Head, Tail string
	Fill       byte
	N          int64
	Limit      int64
	Served     int64
	at         int64 // position in the whole stream
}

// Read implements io.Reader.
func (s *LineStream) Read(p []byte) (int, error) {
	if s.Served > s.Limit {
		return 0, ErrServedTooMuch
	}
	h, n := int64(len(s.Head)), s.N
	k := 0
	for k < len(p) {
		switch {
		case s.at < h:
			c := copy(p[k:], s.Head[s.at:])
			k += c
			s.at += int64(c)
		case n < 0 || s.at < h+n:
			end := len(p)
			if n >= 0 {
				end = k + int(min(int64(len(p)-k), h+n-s.at))
			}
			for i := k; i < end; i++ {
				p[i] = s.Fill
			}
			s.at += int64(end - k)
			k = end
		default:
			off := s.at - h - n
			if off >= int64(len(s.Tail)) {
				s.Served += int64(k)
				if k == 0 {
					return 0, io.EOF
				}
				return k, nil
			}
			c := copy(p[k:], s.Tail[off:])
			k += c
			s.at += int64(c)
		}
	}
	s.Served += int64(k)
	return k, nil
}
