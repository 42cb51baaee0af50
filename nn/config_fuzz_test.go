package nn

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParseConfig parses any input as config.json. An error names the
// file; an accepted configuration validates, and marshalled and parsed
// again it comes back unchanged.
func FuzzParseConfig(f *testing.F) {
	good := `{"vocab_size": 30522, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}`
	for _, s := range []string{
		good,
		`{"vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 8,
		  "hidden_act": "gelu", "layer_norm_eps": 1e-5, "pad_token_id": 99, "architectures": ["BertModel"], "position_embedding_type": "absolute"}`,
		strings.Replace(good, `"hidden_size": 32, `, "", 1), strings.Replace(good, `"num_attention_heads": 2`, `"num_attention_heads": 3`, 1),
		strings.Replace(good, `30522`, `"30522"`, 1), strings.Replace(good, `30522`, `-1`, 1), strings.Replace(good, `30522`, `1e3`, 1),
		strings.Replace(good, `}`, `, "hidden_act": "relu", "pad_token_id": 40000}`, 1), `[]`, `null`, `{"vocab_size": 1`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "config.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "nn: config.json: ") || len(err.Error()) <= len("nn: config.json: ") {
				t.Fatalf("%q: error %q does not name the file", data, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%q: accepted a configuration that does not validate: %v", data, err)
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("%q: marshalling %+v: %v", data, c, err)
		}
		again, err := ParseConfig(out, "again")
		if err != nil {
			t.Fatalf("%q: parsing %s: %v", data, out, err)
		}
		// "architectures" is omitted when empty, so [] comes back as nil.
		if !slices.Equal(again.Architectures, c.Architectures) {
			t.Fatalf("%q: architectures %q became %q", data, c.Architectures, again.Architectures)
		}
		again.Architectures, c.Architectures = nil, nil
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("%q: parsed again\n%+v\nwant %+v", data, again, c)
		}
	})
}
