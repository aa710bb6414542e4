//go:build !unix

package cli

import "github.com/pm2dock/pm2dock/internal/containerexec"

// execTerminal: without a unix terminal, the command runs without a TTY and
// signals are not sent on.
func execTerminal(f *Factory, o *containerexec.Options, tty, local bool, cid string) func() {
	return func() {}
}
