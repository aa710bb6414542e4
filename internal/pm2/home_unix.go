//go:build !windows

package pm2

import "syscall"

func freeBytes(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}

func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}
