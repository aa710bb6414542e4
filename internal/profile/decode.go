package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// readFile decodes the profile strictly. lines maps "services.KEY" to its line.
func readFile(path string) (*rawFile, map[string]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, usage(fmt.Errorf("read profile: %w", err), "")
	}
	return decodeFile(path, data)
}

// decodeFile decodes the bytes of the profile at path (named in errors).
func decodeFile(path string, data []byte) (*rawFile, map[string]int, error) {
	raw := &rawFile{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(raw); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, usage(yamlError(path, err), "see the profile format in `pm2dock init --help` or docs/contracts.md#profile")
	}
	var root yaml.Node
	lines := map[string]int{}
	if yaml.Unmarshal(data, &root) == nil && len(root.Content) == 1 {
		collectLines(root.Content[0], "", lines)
	}
	return raw, lines, nil
}

func collectLines(n *yaml.Node, prefix string, lines map[string]int) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := prefix + n.Content[i].Value
		lines[key] = n.Content[i].Line
		if prefix == "" || prefix == "services." {
			collectLines(n.Content[i+1], key+".", lines)
		}
	}
}

var (
	yamlLine    = regexp.MustCompile(`line (\d+): `)
	yamlUnknown = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)
)

// yamlError rewrites yaml.v3's messages as FILE:LINE: what.
func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		l = yamlUnknown.ReplaceAllString(l, `line $1: unknown key "$2"`)
		if m := yamlLine.FindStringSubmatchIndex(l); m != nil {
			l = path + ":" + l[m[2]:m[3]] + ": " + l[:m[0]] + l[m[1]:]
		} else {
			l = path + ": " + l
		}
		out = append(out, l)
	}
	return errors.New(strings.Join(out, "\n"))
}
