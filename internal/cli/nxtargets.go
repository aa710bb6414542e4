package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/scaffold"
)

// NewCmdNxTargets prints the Nx targets of the project in --dir, for the Nx
// plugin (the npm package's nx.js): the same targets `init --nx
// --project-json` writes (scaffold.Targets), so the two never differ.
func NewCmdNxTargets(f *Factory) *cobra.Command {
	var bin, ws string
	cmd := &cobra.Command{
		Use:    "nx-targets --workspace ROOT --bin PATH",
		Short:  "Print the inferred Nx targets of the folder's services (for the Nx plugin)",
		Hidden: true,
		Args:   usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if bin == "" || ws == "" {
				return exitcode.New(exitcode.Usage, errors.New("nx-targets needs --workspace and --bin"), "")
			}
			dir, err := f.dir()
			if err != nil {
				return err
			}
			root, err := filepath.Rel(ws, dir)
			if err != nil || !filepath.IsLocal(root) && root != "." {
				return exitcode.Errorf(exitcode.Usage, "%s is not inside the workspace %s", dir, ws)
			}
			keys, err := stackKeys(c.Context(), f, dir, filepath.Join(dir, profile.FileName))
			if err != nil {
				return err
			}
			out := scaffold.Obj{{Key: "targets", Value: scaffold.Targets(bin, filepath.ToSlash(root), keys)}}
			fmt.Fprintf(f.IO.Out, "%s\n", scaffold.Render(out, "", "  "))
			return nil
		},
	}
	cmd.Flags().StringVar(&bin, "bin", "", "the pm2dock binary the targets run")
	cmd.Flags().StringVar(&ws, "workspace", "", "the Nx workspace root (run-commands' folder)")
	return cmd
}
