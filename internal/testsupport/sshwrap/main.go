// Command sshwrap stands in for ssh(1) in the engine tests: it runs the real
// ssh with `-F ssh_config` from its own folder, so that the docker CLI's
// connection helper (which runs `ssh` from PATH with no way to pass a config)
// uses the test's key and known_hosts instead of the user's ~/.ssh. OpenSSH
// takes ~/.ssh from the password database, not $HOME, so a test cannot move it.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

func main() {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sshwrap:", err)
		os.Exit(255)
	}
	argv := append([]string{"ssh", "-F", filepath.Join(filepath.Dir(self), "ssh_config")}, os.Args[1:]...)
	err = syscall.Exec("/usr/bin/ssh", argv, os.Environ())
	fmt.Fprintln(os.Stderr, "sshwrap: exec /usr/bin/ssh:", err)
	os.Exit(255)
}
