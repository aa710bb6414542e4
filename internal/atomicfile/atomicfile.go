// Package atomicfile replaces a file's content in one step, so that a reader
// (a `pm2dock start` waiting on a state file, PM2 reading the ecosystem, a
// teammate's editor) sees the old content or the new, never a part of either.
//
// It is the one implementation of the temporary-file-and-rename pattern in
// pm2dock. google/renameio does the same on Unix but has no Windows support
// for it, and pm2dock builds for Windows; what is here is a dozen lines.
// There is no fsync: a state file or an ecosystem lost to a power cut is
// rewritten by the next shim or start, and an fsync per health change would
// cost every shim a disk flush.
package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data, with permissions perm. The temporary file
// is made in path's folder (a rename within one file system is atomic) under a
// name of its own, so concurrent writers of the same path never share one, and
// it is removed when anything fails: the old file is then left as it was.
func Write(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Mode returns the permissions of the file at path, or def when there is none:
// for rewriting a file the user owns (project.json) without changing its mode.
func Mode(path string, def fs.FileMode) fs.FileMode {
	if st, err := os.Stat(path); err == nil {
		return st.Mode().Perm()
	}
	return def
}
