package profile

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The package doc shows the file with its defaults; it must show the table's.
func TestDocShowsTheDefaults(t *testing.T) {
	raw, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, d := range Defaults {
		if strings.HasPrefix(d.Key, "defaults.restart.") {
			continue // shown as one flow mapping, below
		}
		leaf := d.Key[strings.LastIndex(d.Key, ".")+1:]
		if !regexp.MustCompile(`(?m)^//\s+` + regexp.QuoteMeta(leaf+": "+d.Value) + `(\s|$)`).MatchString(doc) {
			t.Errorf("doc.go does not show %s: %s", d.Key, d.Value)
		}
	}
	if flow := DefaultFlow("defaults.restart"); !strings.Contains(doc, "restart: "+flow) {
		t.Errorf("doc.go does not show restart: %s", flow)
	}
}

// Every default parses, and the loader's values are the table's.
func TestDefaultsParse(t *testing.T) {
	l := defaultLogs()
	if l.MaxAge != 168*time.Hour || l.MaxSize != 1<<30 || l.SegmentSize != 64<<20 {
		t.Fatalf("logs defaults %+v", l)
	}
	r := defaultService.Restart
	if *r.Max != 5 || time.Duration(*r.Window) != 10*time.Minute || time.Duration(*r.Delay) != 2*time.Second ||
		time.Duration(*r.MaxDelay) != time.Minute || *r.OnUnhealthy != 0 ||
		time.Duration(defaultService.StartTimeout) != 120*time.Second || defaultService.Pull != "missing" {
		t.Fatalf("service defaults %+v", defaultService)
	}
	if got := DefaultFlow("logs"); got != "{dir: .pm2dock/logs, max_age: 168h, max_size: 1GiB, segment_size: 64MiB}" {
		t.Fatalf("DefaultFlow(logs) = %s", got)
	}
}
