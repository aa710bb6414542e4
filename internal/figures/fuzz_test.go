package figures

import (
	"bytes"
	"encoding/json"
	"testing"
)

// What parseFast accepts, encoding/json reads the same (with unknown fields
// refused and nothing after the object), so the fast path never changes
// what a record means.
func FuzzParseFast(f *testing.F) {
	f.Add([]byte(`{"container":"3f2a","cpu_percent":12.5,"mem_bytes":52428800,"mem_limit_bytes":0,"samples":5}`))
	f.Add([]byte(`{"container":"c","cpu_percent":1e-7,"mem_bytes":1,"mem_limit_bytes":1099511627776,"samples":1}`))
	f.Add([]byte(`{"container":"c","cpu_percent":-0,"mem_bytes":-1,"mem_limit_bytes":0,"samples":0}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, ok := parseFast(raw)
		if !ok {
			return
		}
		var q Point
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&q); err != nil || d.More() {
			t.Fatalf("parseFast read %s as %+v, json refuses it: %v", raw, p, err)
		}
		if p != q {
			t.Fatalf("parseFast read %s as %+v, json as %+v", raw, p, q)
		}
	})
}
