package render

import (
	"testing"
	"time"
)

func TestPortAppliesComposeDefaults(t *testing.T) {
	if got := Port("", "5432", 5432, ""); got != "0.0.0.0:5432->5432/tcp" {
		t.Fatalf("Port = %q", got)
	}
	if got := Port("127.0.0.1", "53", 53, "udp"); got != "127.0.0.1:53->53/udp" {
		t.Fatalf("Port = %q", got)
	}
}

func TestSecondsAndAgo(t *testing.T) {
	for s, want := range map[int64]string{0: "0s", 59: "59s", 60: "1m", 3599: "59m", 3600: "1h0m", 3*3600 + 7*60: "3h7m", 86400*2 + 4*3600: "2d4h"} {
		if got := Seconds(s); got != want {
			t.Errorf("Seconds(%d) = %q, want %q", s, got, want)
		}
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	then := now.Add(-5 * time.Minute)
	if got := Ago(&then, now); got != "5m ago" {
		t.Errorf("Ago = %q", got)
	}
	if got := Ago(nil, now); got != "-" {
		t.Errorf("Ago(nil) = %q", got)
	}
}

func TestShortID(t *testing.T) {
	if ShortID("0123456789abcdef") != "0123456789ab" || ShortID("abc") != "abc" {
		t.Fatal("ShortID")
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512B", 2048: "2.0KiB", 12_900_000: "12.3MiB", 64 << 20: "64.0MiB", 3 << 30: "3.0GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRound2AndPlural(t *testing.T) {
	for in, want := range map[float64]float64{0: 0, 12.344: 12.34, 12.346: 12.35, 99.999: 100} {
		if got := Round2(in); got != want {
			t.Errorf("Round2(%v) = %v, want %v", in, got, want)
		}
	}
	if Plural(1, "is", "are") != "is" || Plural(0, "is", "are") != "are" || Plural(2, "service", "services") != "services" {
		t.Error("Plural")
	}
}
