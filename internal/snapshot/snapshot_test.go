package snapshot

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// fakeAPI serves CopyFromContainer from content by path; any other call
// fails the test.
type fakeAPI struct {
	t       *testing.T
	content map[string]string
	failAt  string // a path whose copy breaks halfway
}

type brokenReader struct{ r io.Reader }

func (b *brokenReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, errors.New("connection reset by peer")
	}
	return n, err
}

func (f *fakeAPI) CopyFromContainer(_ context.Context, id string, o client.CopyFromContainerOptions) (client.CopyFromContainerResult, error) {
	c, ok := f.content[o.SourcePath]
	if !ok {
		f.t.Fatalf("unexpected copy of %s", o.SourcePath)
	}
	var r io.Reader = strings.NewReader(c)
	if o.SourcePath == f.failAt {
		r = &brokenReader{r}
	}
	return client.CopyFromContainerResult{Content: io.NopCloser(r)}, nil
}

func (f *fakeAPI) fail(what string) error { f.t.Fatalf("unexpected call: %s", what); return nil }
func (f *fakeAPI) CopyToContainer(context.Context, string, client.CopyToContainerOptions) (client.CopyToContainerResult, error) {
	return client.CopyToContainerResult{}, f.fail("CopyToContainer")
}
func (f *fakeAPI) ContainerCreate(context.Context, client.ContainerCreateOptions) (client.ContainerCreateResult, error) {
	return client.ContainerCreateResult{}, f.fail("ContainerCreate")
}
func (f *fakeAPI) ContainerRemove(context.Context, string, client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	return client.ContainerRemoveResult{}, f.fail("ContainerRemove")
}
func (f *fakeAPI) VolumeInspect(context.Context, string, client.VolumeInspectOptions) (client.VolumeInspectResult, error) {
	return client.VolumeInspectResult{}, f.fail("VolumeInspect")
}
func (f *fakeAPI) VolumeRemove(context.Context, string, client.VolumeRemoveOptions) (client.VolumeRemoveResult, error) {
	return client.VolumeRemoveResult{}, f.fail("VolumeRemove")
}
func (f *fakeAPI) VolumeCreate(context.Context, client.VolumeCreateOptions) (client.VolumeCreateResult, error) {
	return client.VolumeCreateResult{}, f.fail("VolumeCreate")
}

func manifest(name string) Manifest {
	return Manifest{Service: "db", Name: name, Image: "pg:15", ImageID: "sha256:abc", TakenAt: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC),
		Volumes: []Volume{{Source: "pgdata", Name: "proj_pgdata", Target: "/var/lib/postgresql/data"}, {Source: "conf", Name: "proj_conf", Target: "/etc/app"}}}
}

// A snapshot holds each volume's stream with its size and SHA-256, is read
// and listed back whole, and its files are checked before a restore.
func TestTakeReadVerify(t *testing.T) {
	root := t.TempDir()
	api := &fakeAPI{t: t, content: map[string]string{"/var/lib/postgresql/data": "data-tar-bytes", "/etc/app": "conf-tar"}}
	m, err := Take(context.Background(), api, "c1", Dir(root, "db"), manifest("first"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Volumes[0].File != "pgdata.tar" || m.Volumes[0].Size != int64(len("data-tar-bytes")) || len(m.Volumes[0].SHA256) != 64 {
		t.Errorf("volume record %+v", m.Volumes[0])
	}
	got, err := Read(root, "db", "first")
	if err != nil || got.ImageID != "sha256:abc" || len(got.Volumes) != 2 {
		t.Fatalf("Read: %+v %v", got, err)
	}
	if err := Verify(root, got); err != nil {
		t.Errorf("Verify of a whole snapshot: %v", err)
	}
	if ms, _ := List(root, "db"); len(ms) != 1 || ms[0].Name != "first" {
		t.Errorf("List: %+v", ms)
	}
	// A changed byte is found, and said where.
	p := filepath.Join(Dir(root, "db"), "first", "conf.tar")
	os.WriteFile(p, []byte("conf-taX"), 0o600)
	if err := Verify(root, got); exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "is corrupt: conf.tar") {
		t.Errorf("Verify of a changed file: %v", err)
	}
	os.Remove(p)
	if err := Verify(root, got); err == nil {
		t.Error("Verify of a missing file passed")
	}
	// A name taken already.
	if _, err := Take(context.Background(), api, "c1", Dir(root, "db"), manifest("first")); exitcode.FromError(err) != exitcode.Usage {
		t.Errorf("Take of a taken name: %v", err)
	}
}

// A copy that breaks keeps nothing: no snapshot, no partial folder.
func TestTakeThatBreaksKeepsNothing(t *testing.T) {
	root := t.TempDir()
	api := &fakeAPI{t: t, content: map[string]string{"/var/lib/postgresql/data": "data", "/etc/app": "conf"}, failAt: "/etc/app"}
	if _, err := Take(context.Background(), api, "c1", Dir(root, "db"), manifest("broken")); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("Take with a broken copy: %v", err)
	}
	entries, _ := os.ReadDir(Dir(root, "db"))
	if len(entries) != 0 {
		t.Errorf("a broken take left %v", entries)
	}
	// A .partial left by a killed process is not listed, and the next take removes it.
	os.MkdirAll(filepath.Join(Dir(root, "db"), "killed.partial"), 0o700)
	if ms, _ := List(root, "db"); len(ms) != 0 {
		t.Errorf("List shows a partial: %+v", ms)
	}
	api.failAt = ""
	if _, err := Take(context.Background(), api, "c1", Dir(root, "db"), manifest("next")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(Dir(root, "db"), "killed.partial")); err == nil {
		t.Error("the next take left the old partial")
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{"before-migration": true, "20261208-101500": true, "v1.2_x": true,
		"": false, "../x": false, "a/b": false, ".hidden": false, "x.partial": false, strings.Repeat("a", 65): false} {
		if err := ValidName(name); (err == nil) != ok {
			t.Errorf("ValidName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}

func TestReadMarkerTakesJSONOrAPlainName(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "db.restoring")
	os.WriteFile(p, []byte(`{"snapshot": "s1", "volumes": {"proj_pgdata": {"labels": {"a": "b"}, "driver": "local"}}}`), 0o644)
	if m, err := ReadMarker(p); err != nil || m.Snapshot != "s1" || m.Volumes["proj_pgdata"].Driver != "local" {
		t.Errorf("JSON marker: %+v %v", m, err)
	}
	os.WriteFile(p, []byte("s2\n"), 0o644)
	if m, _ := ReadMarker(p); m.Snapshot != "s2" {
		t.Errorf("plain marker: %+v", m)
	}
}
