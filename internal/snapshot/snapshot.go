package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/service"
)

// Manifest describes a snapshot (see the package doc for the format).
type Manifest struct {
	Format  int         `json:"format"`
	Service service.Key `json:"service"`
	Name    string      `json:"name"`
	Image   string      `json:"image"`
	ImageID string      `json:"image_id"`
	TakenAt time.Time   `json:"taken_at"`
	Volumes []Volume    `json:"volumes"`
}

// Volume is one volume of a snapshot.
type Volume struct {
	Source string `json:"source"` // the compose volume key
	Name   string `json:"volume"` // the engine's volume name
	Target string `json:"target"` // its mount path in the service's container
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// API is what snapshots need of the engine.
type API interface {
	CopyFromContainer(ctx context.Context, id string, o client.CopyFromContainerOptions) (client.CopyFromContainerResult, error)
	CopyToContainer(ctx context.Context, id string, o client.CopyToContainerOptions) (client.CopyToContainerResult, error)
	ContainerCreate(ctx context.Context, o client.ContainerCreateOptions) (client.ContainerCreateResult, error)
	ContainerRemove(ctx context.Context, id string, o client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
	VolumeInspect(ctx context.Context, id string, o client.VolumeInspectOptions) (client.VolumeInspectResult, error)
	VolumeRemove(ctx context.Context, id string, o client.VolumeRemoveOptions) (client.VolumeRemoveResult, error)
	VolumeCreate(ctx context.Context, o client.VolumeCreateOptions) (client.VolumeCreateResult, error)
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidName says why name cannot name a snapshot, or nil.
func ValidName(name string) error {
	if !nameRE.MatchString(name) || name == "." || name == ".." || filepath.Ext(name) == ".partial" {
		return exitcode.New(exitcode.Usage, fmt.Errorf("snapshot name %q: use a letter or digit, then letters, digits, '.', '_' or '-' (at most 64), no path", name),
			"for example: pm2dock snapshot db before-migration")
	}
	return nil
}

// Dir is the folder of service's snapshots under root.
func Dir(root string, key service.Key) string { return filepath.Join(root, string(key)) }

// Take copies each of vols out of container id (stopped: the files are
// consistent) into dir/name. An interruption or a full disk leaves nothing
// but a .partial folder, which the next Take of the service removes.
func Take(ctx context.Context, api API, id, dir string, m Manifest) (*Manifest, error) {
	if err := ValidName(m.Name); err != nil {
		return nil, err
	}
	final := filepath.Join(dir, m.Name)
	if _, err := os.Stat(final); err == nil {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("snapshot %s of %s already exists", m.Name, m.Service),
			fmt.Sprintf("name another, or delete it: pm2dock snapshots %s --delete %s", m.Service, m.Name))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	removePartials(dir)
	partial := final + ".partial"
	if err := os.Mkdir(partial, 0o700); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(partial)
		}
	}()
	for i, v := range m.Volumes {
		v.File = v.Source + ".tar"
		size, sum, err := copyOut(ctx, api, id, v.Target, filepath.Join(partial, v.File))
		if err != nil {
			return nil, fmt.Errorf("snapshot volume %s (%s): %w", v.Source, v.Target, err)
		}
		v.Size, v.SHA256 = size, sum
		m.Volumes[i] = v
	}
	m.Format = 1
	raw, _ := json.MarshalIndent(m, "", "  ")
	if err := writeSynced(filepath.Join(partial, "manifest.json"), append(raw, '\n')); err != nil {
		return nil, err
	}
	syncDir(partial) // every file and the manifest are on disk before the name says "whole"
	if err := os.Rename(partial, final); err != nil {
		return nil, err
	}
	syncDir(dir)
	ok = true
	return &m, nil
}

func copyOut(ctx context.Context, api API, id, src, file string) (int64, string, error) {
	res, err := api.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: src})
	if err != nil {
		return 0, "", err
	}
	defer res.Content.Close()
	f, err := os.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), res.Content)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), f.Close()
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func removePartials(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.partial"))
	for _, p := range matches {
		os.RemoveAll(p)
	}
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// List returns service's whole snapshots under root, oldest first.
func List(root string, key service.Key) ([]Manifest, error) {
	entries, err := os.ReadDir(Dir(root, key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Manifest
	for _, e := range entries {
		if !e.IsDir() || filepath.Ext(e.Name()) == ".partial" {
			continue
		}
		m, err := Read(root, key, e.Name())
		if err != nil {
			continue // not a snapshot; Verify names what is wrong
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TakenAt.Before(out[j].TakenAt) })
	return out, nil
}

// Read reads the manifest of snapshot name of service.
func Read(root string, key service.Key, name string) (*Manifest, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	p := filepath.Join(Dir(root, key), name, "manifest.json")
	raw, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s has no snapshot %q (no %s)", key, name, p), "pm2dock snapshots "+key.String()+" lists them")
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.Format != 1 || m.Service != key || m.Name != name {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s is not a snapshot manifest of %s %s (%v)", p, key, name, err), "")
	}
	return &m, nil
}

// Verify checks every file of m: present, its size and its SHA-256.
func Verify(root string, m *Manifest) error {
	for _, v := range m.Volumes {
		if v.File != filepath.Base(v.File) || v.File == "" {
			return exitcode.Errorf(exitcode.Usage, "snapshot %s of %s: file name %q is not a plain name", m.Name, m.Service, v.File)
		}
		p := filepath.Join(Dir(root, m.Service), m.Name, v.File)
		f, err := os.Open(p)
		if err != nil {
			return exitcode.New(exitcode.Usage, fmt.Errorf("snapshot %s of %s: %w", m.Name, m.Service, err), "")
		}
		h := sha256.New()
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		if sum := hex.EncodeToString(h.Sum(nil)); n != v.Size || sum != v.SHA256 {
			return exitcode.New(exitcode.Usage, fmt.Errorf("snapshot %s of %s is corrupt: %s has %d bytes, SHA-256 %.12s…; its manifest says %d, %.12s…", m.Name, m.Service, v.File, n, sum, v.Size, v.SHA256),
				"nothing was changed; take a new snapshot, or delete this one: pm2dock snapshots "+m.Service.String()+" --delete "+m.Name)
		}
	}
	return nil
}

// Delete removes snapshot name of service.
func Delete(root string, key service.Key, name string) error {
	if _, err := Read(root, key, name); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(Dir(root, key), name))
}

// VolumeConfig is how a volume was made (labels, driver, options): a restore
// makes it again the same.
type VolumeConfig struct {
	Labels  map[string]string `json:"labels,omitempty"`
	Driver  string            `json:"driver,omitempty"`
	Options map[string]string `json:"options,omitempty"`
}

// Marker is the content of <state_dir>/<service>.restoring while a restore
// runs: the snapshot, and each volume's config as it was before the restore
// removed it, so a second run makes it again the same.
type Marker struct {
	Snapshot string                  `json:"snapshot"`
	Volumes  map[string]VolumeConfig `json:"volumes"` // by engine volume name
}

// ReadMarker reads a restore marker; a plain name (not JSON) is the snapshot.
func ReadMarker(path string) (*Marker, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Marker
	if json.Unmarshal(raw, &m) != nil || m.Snapshot == "" {
		m = Marker{Snapshot: strings.TrimSpace(string(raw))}
	}
	return &m, nil
}

// Configs returns how each of names was made, from the engine; a volume the
// engine no longer has keeps the config known (a rerun's marker).
func Configs(ctx context.Context, api API, names []string, known map[string]VolumeConfig) (map[string]VolumeConfig, error) {
	out := map[string]VolumeConfig{}
	for _, n := range names {
		r, err := api.VolumeInspect(ctx, n, client.VolumeInspectOptions{})
		switch {
		case err == nil:
			out[n] = VolumeConfig{Labels: r.Volume.Labels, Driver: r.Volume.Driver, Options: r.Volume.Options}
		case isNotFound(err):
			out[n] = known[n]
		default:
			return nil, err
		}
	}
	return out, nil
}

// Restore puts m's volumes back: it removes the containers (which hold the
// volumes), then per volume removes it, creates it again with configs[name]
// (labels, driver, options), and extracts the tar into it through a helper
// container of m's image that is never started. The caller has verified m,
// stopped the service and written the marker (see the package doc).
func Restore(ctx context.Context, api API, root string, m *Manifest, containers []string, configs map[string]VolumeConfig) error {
	for _, id := range containers {
		if _, err := api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
			return fmt.Errorf("remove container %s: %w", id, err)
		}
	}
	for _, v := range m.Volumes {
		if err := restoreVolume(ctx, api, root, m, v, configs[v.Name]); err != nil {
			return fmt.Errorf("restore volume %s: %w", v.Name, err)
		}
	}
	return nil
}

func restoreVolume(ctx context.Context, api API, root string, m *Manifest, v Volume, cfg VolumeConfig) error {
	if _, err := api.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{}); err != nil && !isNotFound(err) {
		return err
	}
	if _, err := api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: v.Name, Labels: cfg.Labels, Driver: cfg.Driver, DriverOpts: cfg.Options}); err != nil {
		return err
	}
	helper, err := api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: m.ImageID, Labels: map[string]string{"pm2dock.helper": "restore"}},
		// NoCopy: the new volume gets the snapshot only, not the image's files at the path.
		HostConfig: &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: v.Name, Target: v.Target,
			VolumeOptions: &mount.VolumeOptions{NoCopy: true}}}},
	})
	if err != nil {
		return fmt.Errorf("create a helper container of %s: %w", m.ImageID, err)
	}
	// RemoveVolumes: the anonymous volumes of the image's other VOLUMEs go with it.
	defer api.ContainerRemove(context.WithoutCancel(ctx), helper.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	f, err := os.Open(filepath.Join(Dir(root, m.Service), m.Name, v.File))
	if err != nil {
		return err
	}
	defer f.Close()
	// The tar's top entry is the target's last element: extract into its parent.
	_, err = api.CopyToContainer(ctx, helper.ID, client.CopyToContainerOptions{DestinationPath: path.Dir(v.Target), Content: f})
	return err
}

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
