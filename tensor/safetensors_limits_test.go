package tensor

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestOverlappingRangesRefusedBeforeDecoding: a header that lists one
// range of the data for many tensors is refused before any tensor is
// decoded. It used to decode every one first, so that 200 tensors over
// the same 1 MiB allocated 200 MiB before the overlap was noticed.
func TestOverlappingRangesRefusedBeforeDecoding(t *testing.T) {
	const n, size = 200, 1 << 20 // bytes per tensor
	h := map[string]any{}
	for i := 0; i < n; i++ {
		h[fmt.Sprintf("t%03d", i)] = map[string]any{"dtype": "F32", "shape": []int{size / 4}, "data_offsets": []int{0, size}}
	}
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 8+len(hb)+size)
	binary.LittleEndian.PutUint64(data, uint64(len(hb)))
	copy(data[8:], hb)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = DecodeSafetensors(data, "overlap.safetensors")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "overlaps the tensor before it") {
		t.Fatalf("err %v, want the overlap named", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("allocated %d MiB before refusing the overlap; want under 16", got>>20)
	}
}
