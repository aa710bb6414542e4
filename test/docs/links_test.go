// Package docs checks the documentation's links: every relative link of
// README.md and docs/*.md names a file or folder that exists and, with a
// #fragment, a heading (or an explicit <a id>/<a name>) of the target under
// GitHub's anchor rules; and every docs/<file>.md[#anchor] that the code, the
// scripts, the Makefile and .ci name resolves the same way. It runs in
// `make unit` (no PM2, no engine).
package docs

import (
	"bufio"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// slug is GitHub's anchor for a heading's text (github-slugger): lower case;
// every character that is not a letter, a digit, a combining mark, a space, a
// hyphen or an underscore removed; each space made a hyphen. Inline markup is
// taken off first (code backticks, links, HTML tags), as GitHub slugs the
// rendered text.
func slug(heading string) string {
	text := plainText(heading)
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	inlineLink = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	htmlTag    = regexp.MustCompile(`<[^>]*>`)
)

// plainText is a heading's text as GitHub renders it, near enough for anchors.
func plainText(s string) string {
	s = inlineLink.ReplaceAllString(s, "$1")
	s = htmlTag.ReplaceAllString(s, "")
	return s
}

// anchorSet gives the anchors of headings in order, with GitHub's -1, -2 …
// for repeated slugs.
type anchorSet struct {
	seen map[string]int
	all  map[string]bool
}

func newAnchorSet() *anchorSet {
	return &anchorSet{seen: map[string]int{}, all: map[string]bool{}}
}

func (a *anchorSet) addHeading(text string) string {
	base := slug(text)
	s := base
	for {
		if _, dup := a.seen[s]; !dup {
			break
		}
		a.seen[base]++
		s = fmt.Sprintf("%s-%d", base, a.seen[base])
	}
	a.seen[s] = 0
	a.all[s] = true
	return s
}

var (
	atxHeading = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	htmlAnchor = regexp.MustCompile(`<a\s[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']`)
	fenceOpen  = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
	refDef     = regexp.MustCompile(`^ {0,3}\[([^\]]+)\]:[ \t]*(\S+)`)
	// A repository-relative reference to a doc, as code comments write them.
	docRef = regexp.MustCompile(`(?:^|[^A-Za-z0-9_./-])(docs/[A-Za-z0-9_.-]+\.md)(#[A-Za-z0-9_-]*)?`)
)

// mdLine is one line of a markdown file, with whether it lies in a fenced block.
type mdLine struct {
	n      int
	text   string
	fenced bool
}

func readMarkdown(path string) ([]mdLine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []mdLine
	var fence string // the opening run while inside a fenced block
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if fence != "" {
			t := strings.TrimSpace(line)
			closes := strings.Trim(t, string(fence[0])) == "" && len(t) >= len(fence) && strings.HasPrefix(strings.TrimLeft(line, " "), t)
			out = append(out, mdLine{n, line, true})
			if closes {
				fence = ""
			}
			continue
		}
		if m := fenceOpen.FindStringSubmatch(line); m != nil {
			fence = m[1]
			out = append(out, mdLine{n, line, true})
			continue
		}
		out = append(out, mdLine{n, line, false})
	}
	return out, sc.Err()
}

// anchorCache holds the anchors of each markdown file read so far.
type anchorCache map[string]map[string]bool

func (c anchorCache) anchors(path string) (map[string]bool, error) {
	if a, ok := c[path]; ok {
		return a, nil
	}
	lines, err := readMarkdown(path)
	if err != nil {
		return nil, err
	}
	set := newAnchorSet()
	for _, l := range lines {
		if l.fenced {
			continue
		}
		if m := atxHeading.FindStringSubmatch(l.text); m != nil {
			set.addHeading(m[2])
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(maskCode(l.text), -1) {
			set.all[m[1]] = true
		}
	}
	c[path] = set.all
	return set.all, nil
}

// maskCode blanks the contents of inline code spans, so that nothing inside
// backticks is read as a link.
func maskCode(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		n := 0
		for i+n < len(b) && b[i+n] == '`' {
			n++
		}
		end := -1
		for j := i + n; j < len(b); {
			if b[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(b) && b[j+m] == '`' {
				m++
			}
			if m == n {
				end = j
				break
			}
			j += m
		}
		if end < 0 {
			i += n
			continue
		}
		for k := i; k < end+n; k++ {
			b[k] = ' '
		}
		i = end + n
	}
	return string(b)
}

// codeSpans returns the contents of a line's inline code spans.
func codeSpans(s string) []string {
	masked := maskCode(s)
	var spans []string
	start := -1
	for i := 0; i < len(s); i++ {
		blank := masked[i] == ' ' && s[i] != ' '
		switch {
		case blank && start < 0:
			start = i
		case !blank && start >= 0 && s[i] != ' ':
			spans = append(spans, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		spans = append(spans, s[start:])
	}
	return spans
}

// linkTargets returns the destinations of the inline links and images of a
// line (code spans masked) and of a reference definition on it.
func linkTargets(line string) []string {
	s := maskCode(line)
	var out []string
	if m := refDef.FindStringSubmatch(s); m != nil {
		out = append(out, strings.Trim(m[2], "<>"))
	}
	for i := 0; ; {
		j := strings.Index(s[i:], "](")
		if j < 0 {
			break
		}
		k := i + j + 2
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		var dest string
		if k < len(s) && s[k] == '<' {
			end := strings.IndexByte(s[k:], '>')
			if end < 0 {
				i = k
				continue
			}
			dest = s[k+1 : k+end]
			i = k + end
		} else {
			depth, e := 0, k
			for ; e < len(s); e++ {
				c := s[e]
				if c == ' ' || c == '\t' {
					break
				}
				if c == '(' {
					depth++
				}
				if c == ')' {
					if depth == 0 {
						break
					}
					depth--
				}
			}
			dest = s[k:e]
			i = e
		}
		if dest != "" {
			out = append(out, dest)
		}
	}
	return out
}

var scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

type checker struct {
	root    string
	anchors anchorCache
	errs    []string
}

func (c *checker) errorf(file string, line int, format string, a ...any) {
	rel, err := filepath.Rel(c.root, file)
	if err != nil {
		rel = file
	}
	c.errs = append(c.errs, fmt.Sprintf("%s:%d: %s", filepath.ToSlash(rel), line, fmt.Sprintf(format, a...)))
}

// checkTarget checks that target (a path, relative to base, with an optional
// #fragment) exists and that its fragment is an anchor of the target.
func (c *checker) checkTarget(file string, line int, kind, base, dest string) {
	path, frag, _ := strings.Cut(dest, "#")
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	target := file
	if path != "" {
		if strings.HasPrefix(path, "/") {
			target = filepath.Join(c.root, filepath.FromSlash(path))
		} else {
			target = filepath.Join(base, filepath.FromSlash(path))
		}
		info, err := os.Stat(target)
		if err != nil {
			c.errorf(file, line, "%s %q: %s does not exist", kind, dest, path)
			return
		}
		if info.IsDir() {
			if frag != "" {
				c.errorf(file, line, "%s %q: #%s on a folder", kind, dest, frag)
			}
			return
		}
	}
	if frag == "" || !strings.HasSuffix(strings.ToLower(target), ".md") {
		return // no anchor, or a line anchor of a source file (#L10)
	}
	anchors, err := c.anchors.anchors(target)
	if err != nil {
		c.errorf(file, line, "%s %q: %v", kind, dest, err)
		return
	}
	if !anchors[frag] {
		rel, _ := filepath.Rel(c.root, target)
		c.errorf(file, line, "%s %q: %s has no heading with anchor #%s%s", kind, dest, filepath.ToSlash(rel), frag, nearest(anchors, frag))
	}
}

// nearest names the anchors that share the missing one's first word, to
// make the error easy to act on.
func nearest(anchors map[string]bool, frag string) string {
	first, _, _ := strings.Cut(frag, "-")
	var near []string
	for a := range anchors {
		if strings.HasPrefix(a, first) {
			near = append(near, "#"+a)
		}
	}
	if len(near) == 0 {
		return ""
	}
	sort.Strings(near)
	return " (has " + strings.Join(near, ", ") + ")"
}

// checkMarkdown checks a markdown file's links, and the repository-relative
// docs/<file>.md#anchor references in its code spans and fenced blocks.
func (c *checker) checkMarkdown(file string) {
	lines, err := readMarkdown(file)
	if err != nil {
		c.errorf(file, 0, "%v", err)
		return
	}
	for _, l := range lines {
		if l.fenced {
			c.checkDocRefs(file, l.n, l.text)
			continue
		}
		for _, span := range codeSpans(l.text) {
			c.checkDocRefs(file, l.n, span)
		}
		for _, dest := range linkTargets(l.text) {
			if scheme.MatchString(dest) {
				continue // http(s)://, mailto: and other schemes
			}
			c.checkTarget(file, l.n, "link", filepath.Dir(file), dest)
		}
	}
}

// checkDocRefs checks every docs/<file>.md[#anchor] in text, relative to the
// repository root.
func (c *checker) checkDocRefs(file string, line int, text string) {
	for _, m := range docRef.FindAllStringSubmatch(text, -1) {
		ref := m[1] + m[2]
		if m[2] == "#" {
			c.errorf(file, line, "reference %q: empty anchor", ref)
			continue
		}
		c.checkTarget(file, line, "reference", c.root, ref)
	}
}

// checkCodeFile checks the docs references of a source file, script or makefile.
func (c *checker) checkCodeFile(file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		c.errorf(file, 0, "%v", err)
		return
	}
	for i, line := range strings.Split(string(data), "\n") {
		c.checkDocRefs(file, i+1, line)
	}
}

// repoRoot walks up from the working directory to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

func (c *checker) report(t *testing.T) {
	t.Helper()
	for _, e := range c.errs {
		t.Error(e)
	}
}

func TestMarkdownLinksResolve(t *testing.T) {
	root := repoRoot(t)
	c := &checker{root: root, anchors: anchorCache{}}
	files := []string{filepath.Join(root, "README.md")}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no docs/*.md found")
	}
	files = append(files, docs...)
	for _, f := range files {
		c.checkMarkdown(f)
	}
	c.report(t)
}

func TestCodeReferencesToDocsResolve(t *testing.T) {
	root := repoRoot(t)
	c := &checker{root: root, anchors: anchorCache{}}
	var files []string
	walk := func(dir string, keep func(path string) bool) {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				if d.Name() == "node_modules" || (strings.HasPrefix(d.Name(), ".") && path != filepath.Join(root, dir)) {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && keep(path) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	goFile := func(path string) bool { return strings.HasSuffix(path, ".go") }
	anyFile := func(string) bool { return true }
	walk("cmd", goFile)
	walk("internal", goFile)
	walk("test", goFile)
	walk("scripts", anyFile)
	walk(".ci", anyFile)
	files = append(files, filepath.Join(root, "Makefile"))
	if len(files) < 10 {
		t.Fatalf("only %d files to check under %s: is this the repository?", len(files), root)
	}
	refs := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		refs += len(docRef.FindAllString(string(data), -1))
		c.checkCodeFile(f)
	}
	if refs == 0 {
		t.Fatal("found no docs/<file>.md reference in the code: the pattern is broken")
	}
	c.report(t)
}

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ heading, want string }{
		{"Install", "install"},
		{"Quick start: the demo", "quick-start-the-demo"},
		{"PM2's log file", "pm2s-log-file"},
		{"Wait, npm packages, Nx plugin", "wait-npm-packages-nx-plugin"},
		{"Compose and the Engine API", "compose-and-the-engine-api"},
		{"`status --json` fields", "status---json-fields"},
		{"Use with PM2: your own ecosystem file", "use-with-pm2-your-own-ecosystem-file"},
		{"The soak: a stack of twelve under random faults", "the-soak-a-stack-of-twelve-under-random-faults"},
		{"status = PM2 ⨝ engine — state", "status--pm2--engine--state"},
		{"snake_case and kebab-case", "snake_case-and-kebab-case"},
		{"Ünïcode Überschrift", "ünïcode-überschrift"},
		{"A [link](other.md#x) in it", "a-link-in-it"},
		{"<code>tagged</code> text", "tagged-text"},
		{"  padded  ", "padded"},
		{"1.2.3 (2026-12-07)", "123-2026-12-07"},
		{"x²", "x"},
	} {
		if got := slug(tc.heading); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.heading, got, tc.want)
		}
	}
}

func TestRepeatedHeadingsGetSuffixes(t *testing.T) {
	set := newAnchorSet()
	var got []string
	for _, h := range []string{"Notes", "Notes", "Notes-1", "Notes"} {
		got = append(got, set.addHeading(h))
	}
	want := []string{"notes", "notes-1", "notes-1-1", "notes-2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("anchors %v, want %v", got, want)
	}
}

func TestCheckerFindsBrokenLinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module x\n")
	write("other.md", "# Other\n\n## Part one\n\n<a id=\"explicit\"></a>\n\n```\n## Not a heading\n```\n")
	write("main.md", strings.Join([]string{
		"# Main",                              // 1
		"[ok](other.md#part-one)",             // 2
		"[ok](other.md#explicit) [ok](#main)", // 3
		"[bad](other.md#not-a-heading)",       // 4: inside a fence there
		"[bad](missing.md)",                   // 5
		"[bad](#nowhere)",                     // 6
		"`[not a link](missing.md)`",          // 7
		"[web](https://example.com/x#y)",      // 8
		"```",                                 // 9
		"[in a fence](missing.md)",            // 10
		"```",                                 // 11
		"![img](other.md) [dir](.)",           // 12
		"[ref]: other.md#part-two",            // 13
	}, "\n")+"\n")
	c := &checker{root: dir, anchors: anchorCache{}}
	c.checkMarkdown(filepath.Join(dir, "main.md"))
	var lines []string
	for _, e := range c.errs {
		file, rest, _ := strings.Cut(e, ":")
		n, _, _ := strings.Cut(rest, ":")
		lines = append(lines, file+":"+n)
	}
	want := []string{"main.md:4", "main.md:5", "main.md:6", "main.md:13"}
	if strings.Join(lines, " ") != strings.Join(want, " ") {
		t.Fatalf("errors at %v, want %v:\n%s", lines, want, strings.Join(c.errs, "\n"))
	}
}

func TestCheckerFindsBrokenCodeReferences(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "docs", "a.md"), []byte("# A\n\n## Exit codes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Written in pieces so that this file holds no such reference itself.
	d := "do" + "cs/"
	code := strings.Join([]string{
		"// see " + d + "a.md#exit-codes and (" + d + "a.md).", // 1: both resolve
		"// " + d + "a.md#exit-code, " + d + "b.md",            // 2: a wrong anchor, a missing file
		"// my" + d + "a.md#nothing is another path",           // 3: not a reference to the docs
	}, "\n")
	file := filepath.Join(dir, "x.go")
	if err := os.WriteFile(file, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &checker{root: dir, anchors: anchorCache{}}
	c.checkCodeFile(file)
	if len(c.errs) != 2 || !strings.HasPrefix(c.errs[0], "x.go:2: reference \""+d+"a.md#exit-code\"") ||
		!strings.Contains(c.errs[0], "has #exit-codes") || !strings.HasPrefix(c.errs[1], "x.go:2: reference \""+d+"b.md\"") {
		t.Fatalf("errors:\n%s", strings.Join(c.errs, "\n"))
	}
}

// The README's exit-code table is the one of internal/exitcode: the same codes
// and meanings, in order, and "yes" in the restart column exactly where PM2
// restarts the shim.
func TestReadmeExitCodesMatchTheCode(t *testing.T) {
	root := repoRoot(t)
	lines, err := readMarkdown(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`^\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$`)
	var readme []string
	in := false
	for _, l := range lines {
		if m := atxHeading.FindStringSubmatch(l.text); m != nil && !l.fenced {
			in = slug(m[2]) == "exit-codes"
			continue
		}
		if !in || l.fenced {
			continue
		}
		m := row.FindStringSubmatch(l.text)
		if m == nil {
			continue
		}
		var code int
		fmt.Sscan(m[1], &code)
		restarts := strings.HasPrefix(m[3], "yes")
		if restarts != exitcode.PM2Restarts(exitcode.Code(code)) {
			t.Errorf("README.md:%d: code %d says %q in the restart column; exitcode.PM2Restarts says %v", l.n, code, m[3], !restarts)
		}
		readme = append(readme, fmt.Sprintf("%3d  %s", code, m[2]))
	}
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(exitcode.Help()), "\n")[1:] {
		want = append(want, strings.TrimPrefix(line, "  "))
	}
	if strings.Join(readme, "\n") != strings.Join(want, "\n") {
		t.Errorf("README.md's exit-code table differs from internal/exitcode:\nREADME:\n%s\ncode:\n%s", strings.Join(readme, "\n"), strings.Join(want, "\n"))
	}
}
