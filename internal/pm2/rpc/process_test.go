package rpc

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseJlistSkipsPM2Banners(t *testing.T) {
	out := "[PM2] Spawning PM2 daemon with pm2_home=/tmp/x\n[PM2] PM2 Successfully daemonized\n" + strings.ReplaceAll(sleeperJSON, "\n", "")
	procs, err := ParseJlist([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := Process{
		Name: "sleeper", PMID: 0, PID: 4242,
		Monit: Monit{Memory: 1536000, CPU: 0.5},
		Env: Env{
			Status: "online", RestartTime: 2, PMUptime: 1700000000123, CreatedAt: 1700000000000,
			Namespace: "t", PMOutLogPath: "/l/out.log", PMErrLogPath: "/l/err.log",
		},
	}
	if len(procs) != 1 {
		t.Fatalf("got %d processes", len(procs))
	}
	got := procs[0]
	if !strings.Contains(string(got.Env.Raw), `"SECRET_TOKEN":"hunter2"`) {
		t.Errorf("Env.Raw = %s, want pm2_env verbatim", got.Env.Raw)
	}
	got.Env.Raw = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// freshJlist is what `pm2 jlist` 7.0.4 prints on stdout when it has to spawn
// the daemon (banner shortened): a '[' comes first inside the colour codes.
const freshJlist = "\n  -------------\n\n__/\\\\\\____\n  Runtime Edition\n  $ pm2 start app.js\n\n" +
	"\x1b[32m[PM2] \x1b[39mSpawning PM2 daemon with pm2_home=/tmp/pm2r-2970496408\n" +
	"\x1b[32m[PM2] \x1b[39mPM2 Successfully daemonized\n[]"

func TestParseJlistEmptyAndGarbage(t *testing.T) {
	for _, out := range []string{"[]", freshJlist} {
		if procs, err := ParseJlist([]byte(out)); err != nil || len(procs) != 0 {
			t.Errorf("ParseJlist(%q) = %v, %v; want no processes", out, procs, err)
		}
	}
	for _, out := range []string{"", "[PM2] Spawning PM2 daemon\n", "[PM2][ERROR] Daemon not launched\n", `[{"name":"cut`} {
		if _, err := ParseJlist([]byte(out)); err == nil {
			t.Errorf("ParseJlist(%q) succeeded", out)
		}
	}
}

func TestOddFieldsDoNotLoseTheList(t *testing.T) {
	list := `[
	 {"pid":"12","name":"a","pm_id":1.0,"monit":{"memory":1.5e9,"cpu":"3"},
	  "pm2_env":{"status":"stopped","restart_time":"7","exit_code":1,"pm_uptime":1.7e12,"created_at":null,"namespace":5}},
	 {"name":"b","pm_id":2,"pm2_env":{"status":"errored","restart_time":{"x":1},"exit_code":"oops","unstable_restarts":true}},
	 null, 7, "c",
	 {"pm2_env":{"name":"from-env","pm_id":3,"exit_code":0}},
	 {"name":"d","pm_id":4,"pm2_env":"not an object","monit":[]}
	]`
	procs, err := decodeProcesses(json.RawMessage(list))
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != 4 {
		t.Fatalf("got %d processes, want the 4 objects: %+v", len(procs), procs)
	}
	a, b, c, d := procs[0], procs[1], procs[2], procs[3]
	if a.PID != 12 || a.PMID != 1 || a.Monit.Memory != 1500000000 || a.Monit.CPU != 3 ||
		a.Env.RestartTime != 7 || a.Env.ExitCode == nil || *a.Env.ExitCode != 1 ||
		a.Env.PMUptime != 1700000000000 || a.Env.CreatedAt != 0 || a.Env.Namespace != "5" {
		t.Errorf("a = %+v", a)
	}
	if b.Name != "b" || b.Env.Status != "errored" || b.Env.RestartTime != 0 || b.Env.ExitCode != nil || b.PID != 0 {
		t.Errorf("b = %+v", b)
	}
	if c.Name != "from-env" || c.PMID != 3 || c.Env.ExitCode == nil || *c.Env.ExitCode != 0 {
		t.Errorf("c = %+v (exit code 0 must be kept, not read as absent)", c)
	}
	if d.Name != "d" || d.Env.Raw != nil || d.Env.Status != "" {
		t.Errorf("d = %+v", d)
	}
}

func TestProcessJSONLeavesTheEnvironmentOut(t *testing.T) {
	procs, err := ParseJlist([]byte(sleeperJSON))
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(procs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "hunter2") || !strings.Contains(string(out), `"status":"online"`) {
		t.Errorf("json.Marshal(processes) = %s", out)
	}
}
