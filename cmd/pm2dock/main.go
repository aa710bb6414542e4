// Command pm2dock puts Docker-backed services under PM2. See the README.
package main

import (
	"os"

	"github.com/pm2dock/pm2dock/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
