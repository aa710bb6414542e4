package logstore

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct {
		name, stream, line string
		want               Level
	}{
		// PostgreSQL 15, default log_line_prefix '%m [%p] ', all on stderr.
		{"pg LOG", "stderr", `2026-11-26 01:16:45.252 UTC [1] LOG:  database system is ready to accept connections`, LevelInfo},
		{"pg ERROR", "stderr", `2026-11-26 01:16:52.101 UTC [57] ERROR:  relation "nope" does not exist at character 15`, LevelError},
		{"pg FATAL", "stderr", `2026-11-26 01:16:53.003 UTC [58] FATAL:  password authentication failed for user "app"`, LevelFatal},
		{"pg PANIC", "stderr", `2026-11-26 01:16:53.003 UTC [58] PANIC:  could not write to file "pg_wal/xlogtemp.58": No space left on device`, LevelFatal},
		{"pg WARNING", "stderr", `2026-11-26 01:16:45.252 UTC [1] WARNING:  could not flush dirty data: Function not implemented`, LevelWarn},
		{"pg NOTICE", "stderr", `2026-11-26 01:16:45.252 UTC [60] NOTICE:  table "t" does not exist, skipping`, LevelInfo},
		{"pg DEBUG2", "stderr", `2026-11-26 01:16:45.252 UTC [1] DEBUG2:  checkpointer updated shared memory configuration values`, LevelDebug},
		{"pg with user@db prefix", "stderr", `2026-11-26 01:16:52.101 UTC [57] app@appdb ERROR:  syntax error at or near "selec"`, LevelError},
		{"pg STATEMENT alone", "stderr", `2026-11-26 01:16:52.101 UTC [57] STATEMENT:  select * from nope`, LevelWarn},
		{"pg DETAIL alone", "stderr", `2026-11-26 01:16:53.003 UTC [58] DETAIL:  Connection matched pg_hba.conf line 100`, LevelWarn},
		{"initdb on stdout", "stdout", `The files belonging to this database system will be owned by user "postgres".`, LevelInfo},
		// JSON loggers.
		{"pino error", "stdout", `{"level":50,"time":1764117460123,"pid":1,"hostname":"api","msg":"request failed"}`, LevelError},
		{"pino info", "stdout", `{"level":30,"time":1764117460123,"pid":1,"hostname":"api","msg":"error count is 0"}`, LevelInfo},
		{"pino fatal", "stdout", `{"level":60,"msg":"out of memory"}`, LevelFatal},
		{"pino trace", "stderr", `{"level":10,"msg":"enter"}`, LevelDebug},
		{"pino warn", "stdout", `{"level":40,"msg":"slow"}`, LevelWarn},
		{"zap error", "stderr", `{"level":"error","ts":1764117460.123,"caller":"main.go:12","msg":"dial failed"}`, LevelError},
		{"zap info on stderr", "stderr", `{"level":"info","ts":1764117460.123,"msg":"listening"}`, LevelInfo},
		{"zap dpanic", "stderr", `{"level":"dpanic","msg":"x"}`, LevelError},
		{"severity upper", "stdout", `{"severity":"WARNING","message":"disk 91% full"}`, LevelWarn},
		{"syslog number", "stdout", `{"version":"1.1","level":3,"short_message":"x"}`, LevelError},
		{"json without level", "stderr", `{"msg":"error: nothing here says a level"}`, LevelWarn},
		{"escaped level in msg", "stdout", `{"msg":"{\"level\":\"error\"}","lvl":"info"}`, LevelInfo},
		{"json level spaced", "stdout", `{ "level" : "WARN", "msg": "x" }`, LevelWarn},
		// logfmt (logrus text, zitadel).
		{"logfmt warn", "stdout", `level=warn msg="slow query" duration=2.1s`, LevelWarn},
		{"logrus", "stderr", `time="2026-11-26T00:37:40Z" level=info msg="starting zitadel" version=v2`, LevelInfo},
		{"logfmt quoted level", "stdout", `ts=2026-11-26T00:37:40Z lvl="error" msg=x`, LevelError},
		{"logfmt level inside msg", "stdout", `msg="set level=debug" level=info`, LevelInfo},
		// Go's log and slog.
		{"go log plain stderr", "stderr", `2026/11/26 00:37:40 listening on :8080`, LevelWarn},
		{"go log plain stdout", "stdout", `2026/11/26 00:37:40 listening on :8080`, LevelInfo},
		{"go log error mid-sentence", "stderr", `2026/11/26 00:37:40 retrying after error: connection refused`, LevelWarn},
		{"go log error mid-sentence stdout", "stdout", `2026/11/26 00:37:40 retrying after error: connection refused`, LevelInfo},
		{"slog text", "stderr", `2026/11/26 00:37:40 ERROR dial failed addr=db:5432`, LevelError},
		{"slog default info", "stderr", `2026/11/26 00:37:40 INFO listening addr=:8080`, LevelInfo},
		{"go log shortfile", "stderr", `2026/11/26 00:37:40 main.go:12: WARN: cache cold`, LevelWarn},
		{"go panic", "stderr", `panic: runtime error: invalid memory address or nil pointer dereference`, LevelFatal},
		{"go fatal error", "stderr", `fatal error: concurrent map writes`, LevelFatal},
		// Other shapes.
		{"zap console", "stderr", "2026-11-26T00:37:40.123Z\tERROR\tmain.go:12\tdial failed", LevelError},
		{"nginx", "stderr", `2026/11/26 00:37:40 [error] 29#29: *1 open() "/x" failed (2: No such file or directory)`, LevelError},
		{"nginx notice", "stderr", `2026/11/26 00:37:40 [notice] 1#1: start worker processes`, LevelInfo},
		{"bracketed", "stdout", `[2026-11-26 00:37:40] [WARN] pool exhausted`, LevelWarn},
		{"lowercase prefix", "stdout", `error: could not open config`, LevelError},
		{"capitalised prefix", "stdout", `Warning: no config file, using defaults`, LevelWarn},
		{"python logging", "stderr", `ERROR:root:boom`, LevelError},
		{"klog", "stderr", `E1126 00:37:40.123456       1 controller.go:42] sync failed`, LevelError},
		{"klog info", "stderr", `I1126 00:37:40.123456       1 main.go:9] started`, LevelInfo},
		{"node TypeError", "stderr", `TypeError: Cannot read properties of undefined (reading 'x')`, LevelError},
		{"npm ERR!", "stderr", `npm ERR! code E404`, LevelError},
		{"ansi colour", "stdout", "\x1b[31mERROR\x1b[0m disk failure", LevelError},
		{"crlf", "stdout", "WARN disk\r", LevelWarn},
		// False positives to avoid.
		{"error mid-sentence", "stdout", `connection error occurred while reading`, LevelInfo},
		{"error word later", "stdout", `GET /api/error 200 1ms`, LevelInfo},
		{"errors plural", "stdout", `errors: 0`, LevelInfo},
		{"error-prone", "stdout", `error-prone path taken`, LevelInfo},
		{"capitalised, no colon", "stdout", `Error handling is enabled`, LevelInfo},
		{"level word too late", "stdout", `the quick brown fox ERROR`, LevelInfo},
		{"log lowercase", "stderr", `log rotated`, LevelWarn},
		{"empty stdout", "stdout", ``, LevelInfo},
		{"empty stderr", "stderr", ``, LevelWarn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.stream, []byte(tt.line)); got != tt.want {
				t.Errorf("Classify(%s, %q) = %v, want %v", tt.stream, tt.line, got, tt.want)
			}
		})
	}
}

func TestClassifierContinuesMessages(t *testing.T) {
	var c Classifier
	lines := []struct {
		stream, line string
		want         Level
	}{
		{"stderr", `2026-11-26 01:16:52.101 UTC [57] ERROR:  relation "nope" does not exist at character 15`, LevelError},
		{"stderr", `2026-11-26 01:16:52.101 UTC [57] STATEMENT:  select * from nope`, LevelError},
		{"stderr", `2026-11-26 01:16:53.003 UTC [58] LOG:  checkpoint starting: time`, LevelInfo},
		{"stderr", `2026-11-26 01:16:53.003 UTC [58] DETAIL:  1 buffers written`, LevelInfo},
		{"stderr", `panic: boom`, LevelFatal},
		{"stdout", `plain stdout in between`, LevelInfo},
		{"stderr", ``, LevelFatal},
		{"stderr", `goroutine 1 [running]:`, LevelWarn},
		{"stderr", "\tmain.main()", LevelWarn},
		{"stdout", "    at Object.<anonymous> (/app/index.js:1:7)", LevelInfo},
	}
	for _, l := range lines {
		if got := c.Classify(l.stream, []byte(l.line)); got != l.want {
			t.Errorf("Classify(%s, %q) = %v, want %v", l.stream, l.line, got, l.want)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{
		"debug": LevelDebug, "INFO": LevelInfo, "warn": LevelWarn, "Warning": LevelWarn,
		"error": LevelError, "err": LevelError, "fatal": LevelFatal, " panic ": LevelFatal,
	} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) succeeded")
	}
	if !(LevelDebug < LevelInfo && LevelInfo < LevelWarn && LevelWarn < LevelError && LevelError < LevelFatal) {
		t.Error("levels are not ordered")
	}
}
