package pm2

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// DaemonSpace is the free space a PM2 daemon needs in PM2_HOME to start: its
// pid file, its log, the sockets and the dump.
const DaemonSpace = 1 << 20

// CheckHomeForDaemon says, before a command that may have to start PM2's
// daemon, whether it can: with no daemon running and PM2_HOME on a full disk,
// `pm2 start` starts a daemon that dies at once and never returns (seen on a
// full 4 MiB tmpfs), leaving its first app's shim without a parent. A running
// daemon needs no new space (pm2dock's apps keep no PM2 log files), so then
// this says nothing.
func CheckHomeForDaemon(home string) error {
	if daemonRuns(home) {
		return nil
	}
	dir := home
	for { // PM2 makes its home; the disk is the nearest folder that exists
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	free, ok := freeBytes(dir)
	if !ok || free >= DaemonSpace {
		return nil
	}
	return exitcode.New(exitcode.PM2Missing,
		fmt.Errorf("PM2_HOME %s has %d bytes free: PM2 cannot start its daemon there (it needs about 1 MiB)", home, free),
		"free space on that disk, or point PM2_HOME at another one")
}

// daemonRuns reports whether PM2_HOME's pid file names a live process.
func daemonRuns(home string) bool {
	raw, err := os.ReadFile(filepath.Join(home, "pm2.pid"))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	return err == nil && pid > 0 && processAlive(pid)
}
