package cli

import (
	"os"

	"github.com/pm2dock/pm2dock/internal/iostreams"
)

// Factory holds what commands need, created lazily so that a command that does
// not talk to the engine or PM2 never connects to them.
type Factory struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	// Cwd returns the folder commands resolve relative things from.
	Cwd func() (string, error)
}

// NewFactory returns the production factory around io.
func NewFactory(io *iostreams.IOStreams) *Factory {
	return &Factory{IO: io, Getenv: os.Getenv, Cwd: os.Getwd}
}
