package scaffold

import (
	"encoding/json"
	"fmt"
)

// node is a JSON value with its byte range in the source, so that Merge can
// rewrite one value without reformatting the rest. The parser accepts what Nx
// accepts in project.json: JSON plus comments and trailing commas.
type node struct {
	kind       byte // '{', '[', '"', or 'v' for numbers, true, false, null
	start, end int
	members    []member // objects only, in source order
	elems      []*node  // arrays only, in source order
}

type member struct {
	key      string
	keyStart int
	value    *node
}

// member returns the last member named key (as JSON.parse would read it).
func (n *node) member(key string) *member {
	for i := len(n.members) - 1; i >= 0; i-- {
		if n.members[i].key == key {
			return &n.members[i]
		}
	}
	return nil
}

type parser struct {
	src []byte
	pos int
}

func parseJSON(src []byte) (*node, error) {
	p := &parser{src: src}
	p.space()
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(src) {
		return nil, p.errorf("unexpected %q after the end of the document", src[p.pos])
	}
	return n, nil
}

func (p *parser) errorf(format string, a ...any) error {
	return fmt.Errorf("line %d: %s", lineAt(p.src, min(p.pos, len(p.src))), fmt.Sprintf(format, a...))
}

// space skips whitespace and comments.
func (p *parser) space() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.pos++
		case p.has("//"):
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		case p.has("/*"):
			end := indexFrom(p.src, "*/", p.pos+2)
			if end < 0 {
				p.pos = len(p.src)
				return
			}
			p.pos = end + 2
		default:
			return
		}
	}
}

func (p *parser) has(s string) bool {
	return p.pos+len(s) <= len(p.src) && string(p.src[p.pos:p.pos+len(s)]) == s
}

func (p *parser) value() (*node, error) {
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of the document")
	}
	switch c := p.src[p.pos]; c {
	case '{', '[':
		return p.container(c)
	case '"':
		start := p.pos
		if _, err := p.str(); err != nil {
			return nil, err
		}
		return &node{kind: '"', start: start, end: p.pos}, nil
	}
	start := p.pos
	for p.pos < len(p.src) && isLiteralByte(p.src[p.pos]) {
		p.pos++
	}
	var v any
	if start == p.pos || json.Unmarshal(p.src[start:p.pos], &v) != nil {
		p.pos = start
		return nil, p.errorf("unexpected %q", p.src[start])
	}
	return &node{kind: 'v', start: start, end: p.pos}, nil
}

func isLiteralByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E'
}

// container parses the object or array that opens at pos.
func (p *parser) container(open byte) (*node, error) {
	n := &node{kind: open, start: p.pos}
	closer := byte('}')
	if open == '[' {
		closer = ']'
	}
	p.pos++
	for {
		p.space()
		if p.pos < len(p.src) && p.src[p.pos] == closer {
			p.pos++
			n.end = p.pos
			return n, nil
		}
		if err := p.element(n); err != nil {
			return nil, err
		}
		p.space()
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == closer {
			continue
		}
		return nil, p.errorf("expected ',' or '%c'", closer)
	}
}

func (p *parser) element(n *node) error {
	if n.kind == '[' {
		v, err := p.value()
		if err == nil {
			n.elems = append(n.elems, v)
		}
		return err
	}
	if p.pos >= len(p.src) || p.src[p.pos] != '"' {
		return p.errorf("expected a member name in double quotes")
	}
	keyStart := p.pos
	key, err := p.str()
	if err != nil {
		return err
	}
	p.space()
	if p.pos >= len(p.src) || p.src[p.pos] != ':' {
		return p.errorf("expected ':' after %q", key)
	}
	p.pos++
	p.space()
	v, err := p.value()
	if err != nil {
		return err
	}
	n.members = append(n.members, member{key: key, keyStart: keyStart, value: v})
	return nil
}

// str parses a string literal at pos and returns its value.
func (p *parser) str() (string, error) {
	start := p.pos
	p.pos++
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '\\':
			p.pos += 2
			continue
		case '"':
			p.pos++
			var s string
			if err := json.Unmarshal(p.src[start:p.pos], &s); err != nil {
				p.pos = start
				return "", p.errorf("invalid string: %v", err)
			}
			return s, nil
		}
		p.pos++
	}
	p.pos = start
	return "", p.errorf("unterminated string")
}

func indexFrom(b []byte, s string, from int) int {
	for i := from; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// stripComments returns raw with comments and trailing commas removed, so that
// encoding/json can decode a value taken from a JSONC file.
func stripComments(raw []byte) []byte {
	p := &parser{src: raw}
	var out []byte
	for p.pos < len(raw) {
		c := raw[p.pos]
		switch {
		case c == '"':
			start := p.pos
			if _, err := p.str(); err != nil {
				return raw
			}
			out = append(out, raw[start:p.pos]...)
		case p.has("//") || p.has("/*"):
			p.space()
		case c == ',':
			p.pos++
			p.space()
			if p.pos < len(raw) && (raw[p.pos] == '}' || raw[p.pos] == ']') {
				continue
			}
			out = append(out, ',')
		default:
			out = append(out, c)
			p.pos++
		}
	}
	return out
}
