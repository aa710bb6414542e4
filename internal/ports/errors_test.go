package ports

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestConflictErrorMessages(t *testing.T) {
	pg := Binding{HostIP: "127.0.0.1", Port: 5432, Protocol: "tcp"}
	tests := []struct {
		name   string
		b      Binding
		holder *Holder
		want   string
	}{
		{"process", pg,
			&Holder{PID: 1234, Name: "postgres", Cmdline: "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main"},
			"port 127.0.0.1:5432/tcp is already in use by pid 1234 (postgres: /usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main)"},
		{"process without cmdline", Binding{Port: 53, Protocol: "udp"},
			&Holder{PID: 2, Name: "kthreadd"},
			"port 53/udp is already in use by pid 2 (kthreadd)"},
		{"bare pid", Binding{HostIP: "::", Port: 80, Protocol: "tcp"},
			&Holder{PID: 99},
			"port [::]:80/tcp is already in use by pid 99"},
		{"container beats its proxy", pg,
			&Holder{PID: 4321, Name: "docker-proxy", Container: &ContainerRef{ID: "0123456789abcdef", Name: "/devstack-postgres-1", Project: "devstack", Service: "postgres"}},
			"port 127.0.0.1:5432/tcp is already in use by container devstack-postgres-1 (compose project devstack, service postgres)"},
		{"container outside compose", pg,
			&Holder{Container: &ContainerRef{ID: "0123456789abcdef"}},
			"port 127.0.0.1:5432/tcp is already in use by container 0123456789ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := &ConflictError{Binding: tt.b, Holder: tt.holder}
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() =\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}

func TestConflictErrorUnknownHolderSaysHowToFindIt(t *testing.T) {
	tests := []struct {
		goos string
		b    Binding
		want string
	}{
		{"linux", Binding{HostIP: "127.0.0.1", Port: 5432, Protocol: "tcp"}, " (holder unknown: run as root or check with `sudo ss -ltnp 'sport = :5432'`)"},
		{"linux", Binding{Port: 53, Protocol: "udp"}, " (holder unknown: run as root or check with `sudo ss -lunp 'sport = :53'`)"},
		{"darwin", Binding{Port: 5432, Protocol: "tcp"}, " (holder unknown: run as root or check with `sudo lsof -nP -iTCP:5432 -sTCP:LISTEN`)"},
		{"windows", Binding{Port: 5432, Protocol: "tcp"}, " (holder unknown: check with `netstat -ano -p TCP | findstr :5432`)"},
	}
	for _, tt := range tests {
		if got := holderPhrase(nil, tt.b, tt.goos); got != tt.want {
			t.Errorf("holderPhrase(%s, %s) = %q, want %q", tt.goos, tt.b, got, tt.want)
		}
	}
}

func TestConflictErrorTruncatesLongCommandLines(t *testing.T) {
	cmd := "java " + strings.Repeat("-Dx=y ", 200)
	msg := (&ConflictError{Binding: Binding{Port: 8080, Protocol: "tcp"}, Holder: &Holder{PID: 7, Name: "java", Cmdline: cmd}}).Error()
	if !strings.HasSuffix(msg, "…)") || len([]rune(msg)) > 200 {
		t.Errorf("message of %d runes, want a cut command line: %s", len([]rune(msg)), msg)
	}
}

func TestIsConflictSeesThroughWrapping(t *testing.T) {
	cause := errors.New("bind: address already in use")
	err := fmt.Errorf("preflight web: %w", &ConflictError{Binding: Binding{Port: 80}, Err: cause})
	if !IsConflict(err) {
		t.Errorf("IsConflict(%v) = false, want true", err)
	}
	if !errors.Is(err, cause) {
		t.Errorf("the bind error is not reachable through the conflict")
	}
	if IsConflict(cause) || IsConflict(nil) {
		t.Errorf("IsConflict is true for a plain error or nil")
	}
}
