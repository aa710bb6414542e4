package exitcode

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestFromError(t *testing.T) {
	base := errors.New("boom")
	cases := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, OK},
		{"plain", base, Error},
		{"coded", New(PortConflict, base, ""), PortConflict},
		{"wrapped coded", fmt.Errorf("start db: %w", New(ImageMissing, base, "")), ImageMissing},
		{"cancelled", fmt.Errorf("wait: %w", context.Canceled), Interrupted},
		{"outer code wins", New(EngineDown, fmt.Errorf("x: %w", New(Usage, base, "")), ""), EngineDown},
	}
	for _, c := range cases {
		if got := FromError(c.err); got != c.want {
			t.Errorf("%s: FromError = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestHelpListsEveryCode(t *testing.T) {
	h := Help()
	for _, e := range table {
		if !strings.Contains(h, fmt.Sprintf("%3d  %s", e.code, e.meaning)) {
			t.Errorf("help lacks code %d", e.code)
		}
	}
}

func TestNoRestartAreTheDocumentedOnes(t *testing.T) {
	for _, c := range NoRestart() {
		for _, e := range table {
			if int(e.code) == c && e.restart != "no" {
				t.Errorf("code %d listed as no-restart but table says %q", c, e.restart)
			}
		}
	}
}
