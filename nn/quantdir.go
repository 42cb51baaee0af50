package nn

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// QuantizeDir writes to dst the bi-encoder folder src with every tower
// quantized to int8 (Bert.Quantize): a quantized folder, which rrra loads
// with int8 inference by default and refuses to train from. The other
// files at src's top level that the bi-encoder's files do not replace (the
// RRRA adapters, a fusion model, a README) are copied unchanged and
// returned in copied. dst is replaced as a whole, as SaveBiEncoder does; it
// must not be src (the float32 folder is what the quantized one comes
// from). A folder already quantized is refused.
func QuantizeDir(src, dst string) (copied []string, notices []string, err error) {
	if same, err := samePath(src, dst); err != nil {
		return nil, nil, err
	} else if same {
		return nil, nil, fmt.Errorf("nn: quantize: the output folder %s is the model folder: write the quantized model beside it", dst)
	}
	if err := CheckSaveDir(dst); err != nil {
		return nil, nil, err
	}
	b, m, notices, err := LoadBiEncoder(src)
	if err != nil {
		return nil, nil, err
	}
	if b.Query.Quantized() || b.Doc.Quantized() {
		return nil, nil, fmt.Errorf("nn: quantize: %s is already quantized (its weights file names %s)", src, QuantizationKey)
	}
	for _, t := range []*Bert{b.Query, b.Doc} { // the same tower twice when shared: Quantize then does nothing
		if err := t.Quantize(); err != nil {
			return nil, nil, fmt.Errorf("nn: quantize %s: %w", src, err)
		}
	}
	err = SaveBiEncoderWith(dst, b, m, func(tmp string) error {
		entries, err := os.ReadDir(src)
		if err != nil {
			return fmt.Errorf("nn: %w", err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			if _, err := os.Lstat(filepath.Join(tmp, e.Name())); err == nil {
				continue // written by the save
			} else if !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("nn: %w", err)
			}
			if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(tmp, e.Name())); err != nil {
				return err
			}
			copied = append(copied, e.Name())
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(copied)
	return copied, notices, nil
}

// samePath reports whether a and b name the same directory (b may not
// exist yet).
func samePath(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, fmt.Errorf("nn: %w", err)
	}
	ib, err := os.Stat(b)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("nn: %w", err)
	}
	return os.SameFile(ia, ib), nil
}

// copyFile copies the regular file src to the new file dst and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("nn: copying %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("nn: %w", err)
	}
	return out.Close()
}
