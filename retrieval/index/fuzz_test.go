package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

// FuzzParse decodes any input as an index file, in memory (as Load does)
// and streamed (as Read does); with fixCRC the last four bytes are first
// set to the checksum of the rest, so that mutations get past it. An error
// names the file and wraps one of the package's errors; an accepted index
// has n·d floats, its file is exactly the size its header says, Read
// agrees with it, and WriteTo's file of it decodes the same.
func FuzzParse(f *testing.F) {
	var good bytes.Buffer
	sample := New(3)
	if err := sample.Add([]string{"a", "", "ドキュメント"}, []float32{1, 2, 3, -1, 0, 1e30, 0.5, -0.5, 7}); err != nil {
		f.Fatal(err)
	}
	if _, err := sample.WriteTo(&good); err != nil {
		f.Fatal(err)
	}
	g := good.Bytes()
	f.Add(g, false)
	f.Add(g[:len(g)-5], true)                         // truncated
	f.Add(append(append([]byte(nil), g...), 0), true) // trailing data
	bad := append([]byte(nil), g...)
	bad[70] ^= 1
	f.Add(bad, false) // checksum mismatch
	f.Add(g[:headerSize], false)
	f.Add([]byte{}, false)
	var empty bytes.Buffer
	New(1).WriteTo(&empty)
	f.Add(empty.Bytes(), false)

	f.Fuzz(func(t *testing.T, data []byte, fixCRC bool) {
		if fixCRC && len(data) >= crcSize {
			data = append([]byte(nil), data...)
			end := len(data) - crcSize
			binary.LittleEndian.PutUint32(data[end:], crc32.Checksum(data[:end], castagnoli))
		}
		known := func(err error) bool {
			return errors.Is(err, ErrFormat) || errors.Is(err, ErrVersion) || errors.Is(err, ErrTruncated) || errors.Is(err, ErrChecksum)
		}
		fl, _, err := parse(data, "fuzz.idx", true)
		rd, rerr := Read(bytes.NewReader(data))
		if rerr != nil && !known(rerr) {
			t.Fatalf("Read: error %v wraps none of the package's errors", rerr)
		}
		if err != nil {
			if !known(err) || !strings.HasPrefix(err.Error(), "index: fuzz.idx: ") {
				t.Fatalf("error %q does not name the file or wraps none of the package's errors", err)
			}
			// Read stops after the checksum, so it may accept what
			// parse rejects for trailing data; nothing else.
			if rerr == nil && !strings.Contains(err.Error(), "trailing data") {
				t.Fatalf("Read accepted what parse rejects: %v", err)
			}
			return
		}
		if rerr != nil {
			t.Fatalf("parse accepted what Read rejects: %v", rerr)
		}
		if fl.Dim() < 1 || len(fl.vecs) != fl.Len()*fl.Dim() {
			t.Fatalf("%d floats for n=%d, d=%d", len(fl.vecs), fl.Len(), fl.Dim())
		}
		h, _ := parseHeader(data, "fuzz.idx")
		if h.total() != len(data) || h.n != fl.Len() {
			t.Fatalf("a %d-byte file accepted for a header of %d bytes, n=%d", len(data), h.total(), h.n)
		}
		if d := sameFlat(fl, rd); d != "" {
			t.Fatalf("parse and Read differ: %s", d)
		}
		var out bytes.Buffer
		if _, err := fl.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		again, _, err := parse(out.Bytes(), "again", true)
		if err != nil {
			t.Fatalf("decoding WriteTo's output: %v", err)
		}
		if d := sameFlat(fl, again); d != "" {
			t.Fatalf("written and read back: %s", d)
		}
	})
}
