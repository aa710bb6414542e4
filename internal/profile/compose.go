package profile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/loader"
)

// loadCompose loads the compose project as `docker compose` does
// (docker/compose cmd/compose/compose.go, toProjectOptions), in its order: the
// environment; the env files (compose.env_files, else COMPOSE_ENV_FILES, else
// .env) read first, so that COMPOSE_FILE, COMPOSE_PATH_SEPARATOR,
// COMPOSE_PROJECT_NAME and COMPOSE_PROFILES in .env count; the files
// (compose.files, else COMPOSE_FILE, else compose's default names with their
// override file); then the env files again from the project's folder; then
// the profiles (compose.profiles, else COMPOSE_PROFILES).
func loadCompose(ctx context.Context, c Compose, dir string, env []string, view bool) (*typesProject, error) {
	opts, err := ProjectOptions(c, dir, env, view)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(ctx)
}

// ProjectOptions are compose-go's options for the project of c in dir, by
// compose's rules (see loadCompose); `init` loads through them too.
func ProjectOptions(c Compose, dir string, env []string, view bool) (*cli.ProjectOptions, error) {
	envFiles := c.EnvFiles
	if len(envFiles) == 0 {
		if v := lookup(env, "COMPOSE_ENV_FILES"); v != "" {
			for _, f := range strings.Split(v, ",") {
				envFiles = append(envFiles, absIn(dir, f))
			}
		}
	}
	fns := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(dir), cli.WithEnv(env),
		cli.WithEnvFiles(envFiles...), cli.WithDotEnv,
		configFileEnvIn(dir), cli.WithDefaultConfigPath, projectDirOfFirstFile,
		cli.WithEnvFiles(envFiles...), cli.WithDotEnv,
		cli.WithDefaultProfiles(), cli.WithResolvedPaths(true),
	}
	if view {
		fns = append(fns, cli.WithLoadOptions(loader.WithSkipValidation))
	}
	if len(c.Profiles) > 0 {
		fns = append(fns, cli.WithProfiles(c.Profiles))
	}
	if c.Project != "" {
		fns = append(fns, cli.WithName(c.Project))
	}
	return cli.NewProjectOptions(c.Files, fns...)
}

// configFileEnvIn is compose-go's WithConfigFileEnv with relative entries of
// COMPOSE_FILE taken from dir, the project's folder, rather than from this
// process's working folder: Nx runs `pm2dock --dir=services` from the
// workspace root, and the shim from the profile's folder, and all of them
// must mean the files `docker compose` means when run in dir.
func configFileEnvIn(dir string) cli.ProjectOptionsFn {
	return func(o *cli.ProjectOptions) error {
		f, ok := o.Environment["COMPOSE_FILE"]
		if len(o.ConfigPaths) > 0 || !ok {
			return nil
		}
		sep := o.Environment["COMPOSE_PATH_SEPARATOR"]
		if sep == "" {
			sep = string(os.PathListSeparator)
		}
		for _, entry := range strings.Split(f, sep) {
			path := absIn(dir, entry)
			if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
				if err == nil {
					err = errors.New("not a regular file")
				}
				return fmt.Errorf("compose file %q set by COMPOSE_FILE is invalid: %w", entry, err)
			}
			o.ConfigPaths = append(o.ConfigPaths, path)
		}
		return nil
	}
}

// projectDirOfFirstFile makes the project's folder the first compose file's,
// as compose does without --project-directory: `.env` then loads from there,
// relative paths in the files resolve from there, and the default project name
// is that folder's. dir only served to find the files.
func projectDirOfFirstFile(o *cli.ProjectOptions) error {
	if len(o.ConfigPaths) > 0 {
		o.WorkingDir = ""
	}
	return nil
}

func absIn(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
