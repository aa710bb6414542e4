package scaffold

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Obj is a JSON object whose keys keep the order they are given in. Values are
// string, bool or Obj: all a generated Nx target needs.
type Obj []KV

// KV is one member of an Obj.
type KV struct {
	Key   string
	Value any
}

// Get returns the value of key, or nil.
func (o Obj) Get(key string) any {
	for _, kv := range o {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// Render writes v as indented JSON: indent is the indentation of the line v
// starts on, unit one level more.
func Render(v any, indent, unit string) []byte {
	var b bytes.Buffer
	writeJSON(&b, v, indent, unit)
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, v any, indent, unit string) {
	switch v := v.(type) {
	case Obj:
		if len(v) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, kv := range v {
			b.WriteString(indent + unit)
			b.Write(jsonString(kv.Key))
			b.WriteString(": ")
			writeJSON(b, kv.Value, indent+unit, unit)
			if i < len(v)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, el := range v {
			b.WriteString(indent + unit)
			writeJSON(b, el, indent+unit, unit)
			if i < len(v)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	case string:
		b.Write(jsonString(v))
	case bool:
		fmt.Fprint(b, v)
	default:
		panic(fmt.Sprintf("scaffold: cannot render %T", v))
	}
}

// jsonString encodes s without HTML escaping, as Nx and editors write it.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Merge sets every member of want in the JSON object src and returns the
// result, touching no other byte: members of src that want does not name keep
// their place and spelling, a member whose value already equals want's is left
// as written, a differing one is replaced where it stands, and a missing one is
// appended to its object with the object's indentation. Objects merge member
// by member; any other value is replaced whole. Merging the result again with
// the same want returns it unchanged.
func Merge(src []byte, want Obj) ([]byte, error) {
	root, err := parseJSON(src)
	if err != nil {
		return nil, err
	}
	if root.kind != '{' {
		return nil, fmt.Errorf("line %d: the file is not a JSON object", lineAt(src, root.start))
	}
	m := &merger{src: src, unit: detectUnit(src)}
	m.object(root, want, "")
	return m.apply(), nil
}

type edit struct {
	start, end int // replaced range of src; start == end inserts
	text       []byte
}

type merger struct {
	src   []byte
	unit  string
	edits []edit
}

func (m *merger) object(n *node, want Obj, indent string) {
	var missing Obj
	for _, kv := range want {
		mem := n.member(kv.Key)
		if mem == nil {
			missing = append(missing, kv)
			continue
		}
		m.value(mem, kv.Value)
	}
	if len(missing) > 0 {
		m.insert(n, missing, indent)
	}
}

func (m *merger) value(mem *member, want any) {
	have := mem.value
	if w, ok := want.(Obj); ok && have.kind == '{' {
		m.object(have, w, m.indentOf(mem.keyStart))
		return
	}
	if equal(m.src[have.start:have.end], want) {
		return
	}
	m.edits = append(m.edits, edit{have.start, have.end, Render(want, m.indentOf(mem.keyStart), m.unit)})
}

// insert appends members to object n, whose own line is indented by indent.
func (m *merger) insert(n *node, members Obj, indent string) {
	inner := indent + m.unit
	if len(n.members) > 0 {
		last := n.members[len(n.members)-1]
		inner = m.indentOf(last.keyStart)
	}
	var b bytes.Buffer
	for i, kv := range members {
		if i > 0 || len(n.members) > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n" + inner)
		b.Write(jsonString(kv.Key))
		b.WriteString(": ")
		writeJSON(&b, kv.Value, inner, m.unit)
	}
	if len(n.members) > 0 {
		end := n.members[len(n.members)-1].value.end
		m.edits = append(m.edits, edit{end, end, b.Bytes()})
		return
	}
	b.WriteString("\n" + indent)
	m.edits = append(m.edits, edit{n.start + 1, n.end - 1, b.Bytes()}) // replaces `{ }`'s inside
}

// indentOf returns the indentation of the line pos is on.
func (m *merger) indentOf(pos int) string {
	start := pos
	for start > 0 && m.src[start-1] != '\n' {
		start--
	}
	end := start
	for end < pos && (m.src[end] == ' ' || m.src[end] == '\t') {
		end++
	}
	return string(m.src[start:end])
}

func (m *merger) apply() []byte {
	out := append([]byte(nil), m.src...)
	// Edits never overlap and were collected in document order per object;
	// applying them from the end keeps earlier offsets valid.
	sortEdits(m.edits)
	for i := len(m.edits) - 1; i >= 0; i-- {
		e := m.edits[i]
		out = append(out[:e.start], append(append([]byte(nil), e.text...), out[e.end:]...)...)
	}
	return out
}

func sortEdits(es []edit) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].start < es[j-1].start; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// equal reports whether the JSON text raw holds exactly the value want.
func equal(raw []byte, want any) bool {
	var have any
	if err := json.Unmarshal(stripComments(raw), &have); err != nil {
		return false
	}
	return same(have, want)
}

func same(have, want any) bool {
	switch w := want.(type) {
	case Obj:
		h, ok := have.(map[string]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for _, kv := range w {
			if v, ok := h[kv.Key]; !ok || !same(v, kv.Value) {
				return false
			}
		}
		return true
	default:
		return have == want
	}
}

// detectUnit returns the file's indentation step: the indentation of the
// first indented line, or two spaces.
func detectUnit(src []byte) string {
	for _, line := range strings.Split(string(src), "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed != "" && len(trimmed) < len(line) {
			return line[:len(line)-len(trimmed)]
		}
	}
	return "  "
}

func lineAt(src []byte, pos int) int { return bytes.Count(src[:pos], []byte("\n")) + 1 }
