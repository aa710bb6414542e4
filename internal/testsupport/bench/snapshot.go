package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// snapshotRows is how many rows of about 1 KB fill the bench's PostgreSQL
// (its data folder then holds about 1 GB).
var snapshotRows = 500_000

// benchSnapshot times `pm2dock snapshot` and `pm2dock restore` of a
// PostgreSQL volume holding about 1 GB against what a person scripts with the
// docker CLI: docker stop, docker cp of the data folder out of (into) the
// stopped container, docker start, wait until healthy. Both are downtime from
// the stop to healthy again, so the times are the downtimes.
func benchSnapshot(w *workspace) ([]row, error) {
	s, err := w.sub("snap", w.project+"snap", fmt.Sprintf(`name: %ssnap
services:
  db:
    image: pm2dock-test/postgres:15
    environment: {POSTGRES_USER: app, POSTGRES_DB: app, POSTGRES_PASSWORD: bench}
    volumes: [pgdata:/var/lib/postgresql/data]
    stop_grace_period: 20s
    healthcheck: {test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "app", "-q"], interval: 200ms, retries: 300}
volumes:
  pgdata: {}
`, w.project))
	if err != nil {
		return nil, err
	}
	defer s.teardown()
	if _, _, err := s.run(s.bin, "start"); err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "bench: filling PostgreSQL with about 1 GB")
	if _, _, err := s.run(s.bin, "exec", "db", "--", "psql", "-U", "app", "-d", "app", "-qc",
		fmt.Sprintf("create table big as select i, repeat(md5(i::text), 30) as pad from generate_series(1, %d) i; checkpoint", snapshotRows)); err != nil {
		return nil, err
	}
	_, sizeOut, err := s.run(s.bin, "exec", "db", "--", "du", "-sm", "/var/lib/postgresql/data")
	if err != nil {
		return nil, err
	}
	mb := strings.Fields(string(sizeOut))[0]
	_, idOut, err := s.run("docker", "compose", "ps", "-q", "db")
	if err != nil {
		return nil, err
	}
	id := strings.TrimSpace(string(idOut))
	tarFile := filepath.Join(s.dir, "cp.tar")
	var snap, cpOut, restore, cpIn []time.Duration
	for i := 0; i < 3; i++ {
		d, _, err := s.run(s.bin, "snapshot", "db", fmt.Sprintf("run%d", i))
		if err != nil {
			return nil, err
		}
		snap = append(snap, d)
		d, _, err = s.run(s.bin, "restore", "db", fmt.Sprintf("run%d", i), "--yes")
		if err != nil {
			return nil, err
		}
		restore = append(restore, d)
		// The container may be a new one after a restore.
		if _, idOut, err = s.run("docker", "compose", "ps", "-q", "db"); err != nil {
			return nil, err
		}
		id = strings.TrimSpace(string(idOut))
		d, err = dockerCP(s, id, "out", tarFile)
		if err != nil {
			return nil, err
		}
		cpOut = append(cpOut, d)
		d, err = dockerCP(s, id, "in", tarFile)
		if err != nil {
			return nil, err
		}
		cpIn = append(cpIn, d)
		os.Remove(tarFile)
		os.RemoveAll(filepath.Join(s.dir, ".pm2dock", "snapshots"))
	}
	note := fmt.Sprintf("PostgreSQL, %s MB data folder; stop → healthy, median of 3", mb)
	ms, mo, mr, mi := median(snap), median(cpOut), median(restore), median(cpIn)
	return []row{
		{name: "snapshot of ~1 GB", ours: ms.Round(10 * time.Millisecond).String(), base: mo.Round(10*time.Millisecond).String() + " (docker stop, cp out, start)",
			ratio: fmt.Sprintf("%.2f", float64(ms)/float64(mo)), note: note + "; ours also checksums and syncs"},
		{name: "restore of ~1 GB", ours: mr.Round(10 * time.Millisecond).String(), base: mi.Round(10*time.Millisecond).String() + " (docker stop, cp in, start)",
			ratio: fmt.Sprintf("%.2f", float64(mr)/float64(mi)), note: note + "; ours verifies first and replaces the volume, cp in only overwrites"},
	}, nil
}

// dockerCP is the person's script: stop the container, copy the data folder
// out of it (or back into it), start it, wait until healthy.
func dockerCP(s *workspace, id, dir, tarFile string) (time.Duration, error) {
	t0 := time.Now()
	if _, _, err := s.run("docker", "stop", "-t", "20", id); err != nil {
		return 0, err
	}
	var cmd *exec.Cmd
	if dir == "out" {
		cmd = exec.Command("docker", "cp", id+":/var/lib/postgresql/data", "-")
		f, err := os.Create(tarFile)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		cmd.Stdout = f
	} else {
		cmd = exec.Command("docker", "cp", "-", id+":/var/lib/postgresql")
		f, err := os.Open(tarFile)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("docker cp %s: %v %s", dir, err, errOut.String())
	}
	if _, _, err := s.run("docker", "start", id); err != nil {
		return 0, err
	}
	for {
		_, out, err := s.run("docker", "inspect", "-f", "{{.State.Health.Status}}", id)
		if err != nil {
			return 0, err
		}
		if strings.TrimSpace(string(out)) == "healthy" {
			return time.Since(t0), nil
		}
		if time.Since(t0) > 5*time.Minute {
			return 0, fmt.Errorf("db not healthy 5 min after docker start")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
