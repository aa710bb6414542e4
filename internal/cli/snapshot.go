package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/atomicfile"
	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/shim"
	"github.com/pm2dock/pm2dock/internal/snapshot"
	"github.com/pm2dock/pm2dock/internal/stack"
)

// NewCmdSnapshot keeps a service's own volumes' content as files.
func NewCmdSnapshot(f *Factory, runF func(service, name string) error) *cobra.Command {
	return &cobra.Command{
		Use:   "snapshot SERVICE [NAME]",
		Short: "Keep the content of a service's own volumes (stopped for it, started again)",
		Long: `Take a snapshot of SERVICE: stop it through PM2 (and, first, the running services
that depend on it) so its files are consistent, copy each named volume only it
mounts out through the Engine API (no shell or tar needed in the image), then
start them again and wait until healthy. NAME defaults to the UTC time
(20261208-101500). Files: <snapshot_dir>/SERVICE/NAME/, one tar per volume and a
manifest with sizes and SHA-256 (docs/contracts.md#snapshots). Interrupted, or
on a full disk, nothing is kept and the services are started again.`,
		Args: usageArgs(cobra.RangeArgs(1, 2)),
		RunE: func(c *cobra.Command, args []string) error {
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			if runF != nil {
				return runF(args[0], name)
			}
			return snapshotRun(c.Context(), f, args[0], name)
		},
	}
}

// RestoreOptions are the inputs of `pm2dock restore`.
type RestoreOptions struct {
	Service, Name string
	Yes           bool
}

// NewCmdRestore puts a snapshot back.
func NewCmdRestore(f *Factory, runF func(*RestoreOptions) error) *cobra.Command {
	opts := &RestoreOptions{}
	cmd := &cobra.Command{
		Use:   "restore SERVICE NAME [--yes]",
		Short: "Put a snapshot back: the service's own volumes replaced by it, started again",
		Long: `Restore snapshot NAME of SERVICE: check every file's size and SHA-256, the
service's image and volumes against the manifest — a snapshot of another image
or of volumes the service no longer has is refused, nothing changed — then stop
it (and the running services that depend on it), replace each volume's content,
start them again and wait until healthy. On a terminal it asks; otherwise it
needs --yes. Until a restore finishes, the service is not started by anything
(its shim exits 2 naming the snapshot): run the same restore again to finish it.`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Service, opts.Name = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return restoreRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask (needed without a terminal)")
	return cmd
}

// NewCmdSnapshots lists snapshots, or deletes one.
func NewCmdSnapshots(f *Factory, runF func(services []string, del string) error) *cobra.Command {
	var del string
	cmd := &cobra.Command{
		Use:   "snapshots [SERVICE...] [--delete NAME]",
		Short: "List the services' snapshots (or delete one)",
		Long: `List the snapshots of the services (default: all), oldest first: name, when
taken, size, volumes, image. --delete NAME removes snapshot NAME of the one
SERVICE named.`,
		RunE: func(c *cobra.Command, args []string) error {
			services := f.services(args)
			if runF != nil {
				return runF(services, del)
			}
			return snapshotsRun(c.Context(), f, services, del)
		},
	}
	cmd.Flags().StringVar(&del, "delete", "", "delete snapshot `NAME` of the one SERVICE named")
	return cmd
}

func snapshotRun(ctx context.Context, f *Factory, svcName, name string) error {
	if name == "" {
		name = f.Now().UTC().Format("20060102-150405")
	}
	if err := snapshot.ValidName(name); err != nil {
		return err
	}
	st, keys, closeEngine, err := prepare(ctx, f, []string{svcName}, false)
	if err != nil {
		return err
	}
	defer closeEngine()
	key, p := keys[0], st.Profile
	e := st.Engine.(*engine.Engine)
	vols, _, err := st.OwnVolumes(ctx, e, key)
	if err != nil {
		return err
	}
	var m snapshot.Manifest
	for _, v := range vols {
		if v.Exists {
			m.Volumes = append(m.Volumes, snapshot.Volume{Source: v.Source, Name: v.Name, Target: v.Target})
		}
	}
	if len(m.Volumes) == 0 {
		return exitcode.Errorf(exitcode.Usage, "%s has no named volume of its own with data: nothing to snapshot", key)
	}
	c, err := newestContainer(ctx, e, p.Project.Name, key, st)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(snapshot.Dir(p.SnapshotDir, key), name)); err == nil { // before any downtime
		return exitcode.New(exitcode.Usage, fmt.Errorf("snapshot %s of %s already exists", name, key),
			fmt.Sprintf("name another, or delete it: pm2dock snapshots %s --delete %s", key, name))
	}
	running, err := stopForData(ctx, st, key)
	if err != nil {
		startAgain(context.WithoutCancel(ctx), f, st, running)
		return err
	}
	m.Service, m.Name, m.TakenAt = key, name, f.Now().UTC()
	svc, _ := p.Service(key)
	m.Image, m.ImageID = shim.Image(p.Project.Name, svc.Spec), c.ImageID
	fmt.Fprintf(f.IO.Progress(), "%s: copying %d volume(s) out\n", key, len(m.Volumes))
	taken, takeErr := snapshot.Take(ctx, e, c.ID, snapshot.Dir(p.SnapshotDir, key), m)
	if takeErr == nil {
		var size int64
		for _, v := range taken.Volumes {
			size += v.Size
		}
		fmt.Fprintf(f.IO.Out, "%s: snapshot %s taken: %d volume(s), %s, in %s\n", key, name, len(taken.Volumes), render.Bytes(size), snapshot.Dir(p.SnapshotDir, key))
	}
	// Started again whatever happened (interrupted too): left as it was.
	startErr := startAgain(context.WithoutCancel(ctx), f, st, running)
	if takeErr != nil {
		return takeErr
	}
	return startErr
}

func restoreRun(ctx context.Context, f *Factory, opts *RestoreOptions) error {
	st, keys, closeEngine, err := prepare(ctx, f, []string{opts.Service}, false)
	if err != nil {
		return err
	}
	defer closeEngine()
	key, p := keys[0], st.Profile
	e := st.Engine.(*engine.Engine)
	m, err := snapshot.Read(p.SnapshotDir, key, opts.Name)
	if err != nil {
		return err
	}
	if err := snapshot.Verify(p.SnapshotDir, m); err != nil {
		return err
	}
	svc, _ := p.Service(key)
	// The image the service will start from: its tag's local image (the
	// container is removed and made again from it).
	if now := imageID(ctx, e, shim.Image(p.Project.Name, svc.Spec)); now != m.ImageID {
		return exitcode.New(exitcode.Usage, fmt.Errorf("snapshot %s of %s was taken from image %s (%s); the service's image is now %s: its data may not fit",
			m.Name, key, m.Image, shortImage(m.ImageID), shortImage(now)), "nothing was changed; restore it with the image it was taken from")
	}
	vols, _, err := st.OwnVolumes(ctx, e, key)
	if err != nil {
		return err
	}
	var want, have []string
	current := map[string]string{} // source→target → the volume's name now
	for _, v := range vols {
		have = append(have, v.Source+"→"+v.Target)
		current[v.Source+"→"+v.Target] = v.Name
	}
	for i, v := range m.Volumes {
		want = append(want, v.Source+"→"+v.Target)
		// Into the volume the service mounts now (the project may have been
		// renamed since), never the name recorded then.
		m.Volumes[i].Name = current[v.Source+"→"+v.Target]
	}
	sort.Strings(want)
	sort.Strings(have)
	if strings.Join(want, ",") != strings.Join(have, ",") {
		return exitcode.Errorf(exitcode.Usage, "snapshot %s of %s holds volumes %v; the service now mounts %v: nothing was changed", m.Name, key, want, have)
	}
	fmt.Fprintf(f.IO.Out, "%s: restore snapshot %s (taken %s, %d volume(s)); its volumes' content is replaced\n", key, m.Name, m.TakenAt.Format(time.RFC3339), len(m.Volumes))
	if !opts.Yes {
		if !f.IO.IsStdinTTY() || !f.IO.IsStdoutTTY() {
			return exitcode.New(exitcode.Usage, errors.New("restore replaces data: without a terminal to ask on, it needs --yes"),
				fmt.Sprintf("pm2dock restore %s %s --yes", key, m.Name))
		}
		fmt.Fprint(f.IO.Out, "Restore? [y/N] ")
		answer, _ := bufio.NewReader(f.IO.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return exitcode.Errorf(exitcode.Usage, "restore not confirmed: nothing changed")
		}
	}
	running, err := stopForData(ctx, st, key)
	if err != nil {
		startAgain(context.WithoutCancel(ctx), f, st, running) // nothing was changed yet
		return err
	}
	if !slices.Contains(running, key) {
		running = append([]service.Key{key}, running...) // a restore ends with the service started
	}
	// From the marker on, not cut by an interrupt: once begun, finishing is
	// the way back to data that is whole.
	bg := context.WithoutCancel(ctx)
	halfway := func(err error) error {
		return exitcode.New(exitcode.Error, fmt.Errorf("%s: restore of snapshot %s stopped halfway: %w", key, m.Name, err),
			fmt.Sprintf("%s stays stopped until it finishes: pm2dock restore %s %s --yes", key, key, m.Name))
	}
	markerPath := p.StateDir.Restoring(key)
	var known map[string]snapshot.VolumeConfig
	if old, err := snapshot.ReadMarker(markerPath); err == nil && old.Snapshot == m.Name {
		known = old.Volumes // a second run: the configs as they were before the first
	}
	var names []string
	for _, v := range m.Volumes {
		names = append(names, v.Name)
	}
	configs, err := snapshot.Configs(bg, e, names, known)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(snapshot.Marker{Snapshot: m.Name, Volumes: configs})
	if err := atomicfile.Write(markerPath, append(raw, '\n'), 0o644); err != nil {
		return err
	}
	cs, err := e.ServiceContainers(bg, p.Project.Name, svc.Compose)
	if err != nil {
		return halfway(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	if err := snapshot.Restore(bg, e, p.SnapshotDir, m, ids, configs); err != nil {
		return halfway(err)
	}
	if err := os.Remove(markerPath); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "%s: snapshot %s restored\n", key, m.Name)
	return startAgain(context.WithoutCancel(ctx), f, st, running)
}

func snapshotsRun(ctx context.Context, f *Factory, services []string, del string) error {
	p, keys, err := viewTarget(ctx, f, services)
	if err != nil {
		return err
	}
	if del != "" {
		if len(services) != 1 {
			return exitcode.Errorf(exitcode.Usage, "--delete %s: name the one service whose snapshot it is", del)
		}
		if p.StateDir.RestoringFrom(keys[0]) == del {
			return exitcode.New(exitcode.Usage, fmt.Errorf("snapshot %s of %s is being restored (a restore stopped halfway)", del, keys[0]),
				fmt.Sprintf("finish it first: pm2dock restore %s %s --yes", keys[0], del))
		}
		if err := snapshot.Delete(p.SnapshotDir, keys[0], del); err != nil {
			return err
		}
		fmt.Fprintf(f.IO.Out, "%s: snapshot %s deleted\n", keys[0], del)
		return nil
	}
	tw := render.Table(f.IO.Out)
	fmt.Fprintln(tw, "SERVICE\tNAME\tTAKEN\tSIZE\tVOLUMES\tIMAGE")
	for _, k := range keys {
		ms, err := snapshot.List(p.SnapshotDir, k)
		if err != nil {
			return err
		}
		for _, m := range ms {
			var size int64
			var vols []string
			for _, v := range m.Volumes {
				size += v.Size
				vols = append(vols, v.Source)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k, m.Name, m.TakenAt.Format(time.RFC3339), render.Bytes(size), strings.Join(vols, ","), m.Image)
		}
	}
	return tw.Flush()
}

// newestContainer is the service's running container, else its newest.
func newestContainer(ctx context.Context, e *engine.Engine, project string, key service.Key, st *stack.Stack) (*container.Summary, error) {
	svc, _ := st.Profile.Service(key)
	cs, err := e.ServiceContainers(ctx, project, svc.Compose)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s has no container: it never ran here", key), "start it first: pm2dock start "+key.String())
	}
	if r := engine.Running(cs); r != nil {
		return r, nil
	}
	return &cs[0], nil
}

// stopForData stops key and the running services that depend on it
// (dependents first) and returns those of them that ran, to start again.
func stopForData(ctx context.Context, st *stack.Stack, key service.Key) ([]service.Key, error) {
	deps, err := st.RunningDependents(ctx, []service.Key{key})
	if err != nil {
		return nil, err
	}
	procs, err := st.PM2.Apps(ctx)
	if err != nil {
		return nil, err
	}
	var running []service.Key
	if pm2.Find(procs, st.Profile.Namespace, key).Live() {
		running = append(running, key)
	}
	running = append(running, deps...)
	if _, err := st.Stop(ctx, append([]service.Key{key}, deps...)); err != nil {
		return running, err
	}
	return running, nil
}

// startAgain starts keys and waits until healthy, printing start's summary.
func startAgain(ctx context.Context, f *Factory, st *stack.Stack, keys []service.Key) error {
	if len(keys) == 0 {
		return nil
	}
	if err := writeStartFiles(f, st); err != nil {
		return err
	}
	results, err := st.Start(ctx, keys, nil)
	printStart(f, st.Profile, results, false)
	return summarize(f, results, err)
}
