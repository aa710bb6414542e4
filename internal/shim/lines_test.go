package shim

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

func frameBytes(stream byte, payload string) []byte {
	b := make([]byte, 8, 8+len(payload))
	b[0] = stream
	binary.BigEndian.PutUint32(b[4:], uint32(len(payload)))
	return append(b, payload...)
}

func TestDemuxJoinsPartialsAndKeepsTheLastLineWithoutNewline(t *testing.T) {
	var in bytes.Buffer
	in.Write(frameBytes(1, "2026-11-26T00:00:01.000000001Z hello\n"))
	in.Write(frameBytes(2, "2026-11-26T00:00:02.000000000Z long "))
	in.Write(frameBytes(2, "2026-11-26T00:00:02.500000000Z line\n"))
	in.Write(frameBytes(2, "2026-11-26T00:00:03.000000000Z FATAL: bad config"))
	var got []string
	err := demux(&in, func(ts time.Time, stream string, msg []byte) {
		got = append(got, ts.Format(time.RFC3339Nano)+" "+stream+" "+string(msg))
	})
	want := []string{
		"2026-11-26T00:00:01.000000001Z stdout hello",
		"2026-11-26T00:00:02Z stderr long line",
		"2026-11-26T00:00:03Z stderr FATAL: bad config",
	}
	if err != nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("demux = %q, %v\nwant %q", got, err, want)
	}
}

func TestDemuxRejectsAnUnknownStream(t *testing.T) {
	if err := demux(bytes.NewReader(frameBytes(9, "x")), func(time.Time, string, []byte) {}); err == nil {
		t.Fatal("an unknown stream byte was accepted")
	}
}
