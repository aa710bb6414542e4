package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// benchLauncher packs the npm packages of this platform, installs them into a
// workspace of their own with npm, and times `status --json` of the bench's
// running stack three ways side by side: the native binary, the launcher
// (node_modules/.bin/pm2dock: node, then the binary) and `npx pm2dock`
// (npm's exec first). What the launcher adds is why PM2 and Nx run the
// native binary.
func benchLauncher(w *workspace) ([]row, error) {
	if _, _, err := w.run(w.bin, "start"); err != nil {
		return nil, err
	}
	root := filepath.Dir(filepath.Dir(w.bin))
	npmDir := filepath.Join(w.dir, "npm-bench")
	packs := filepath.Join(npmDir, "tarballs")
	cpu := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	plat := runtime.GOOS + "-" + cpu
	pack := exec.Command(filepath.Join(root, "scripts", "npm-pack.sh"), packs)
	pack.Env = append(os.Environ(), "PLATFORMS="+plat)
	if out, err := pack.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("npm-pack.sh: %v\n%s", err, out)
	}
	tgz, _ := filepath.Glob(filepath.Join(packs, "*.tgz"))
	if err := os.WriteFile(filepath.Join(npmDir, "package.json"), []byte(`{"name":"bench","private":true}`), 0o644); err != nil {
		return nil, err
	}
	install := exec.Command("npm", append([]string{"install", "--no-audit", "--no-fund", "--loglevel=error"}, tgz...)...)
	install.Dir = npmDir
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("npm install: %v\n%s", err, out)
	}
	native := filepath.Join(npmDir, "node_modules", "@pm2dock", plat, "bin", "pm2dock")
	launcher := filepath.Join(npmDir, "node_modules", ".bin", "pm2dock")
	args := []string{"--dir", w.dir, "status", "--json"}
	var dn, dl, dx, df []time.Duration
	for i := 0; i < *sruns; i++ {
		for _, c := range []struct {
			ds   *[]time.Duration
			argv []string
		}{{&dn, append([]string{native}, args...)}, {&dl, append([]string{launcher}, args...)},
			{&dx, append([]string{"npx", "--no", "--prefix", npmDir, "--", "pm2dock"}, args...)},
			{&df, []string{"node", "-e", ""}}} {
			cmd := exec.Command(c.argv[0], c.argv[1:]...)
			cmd.Dir, cmd.Env = npmDir, w.env()
			t0 := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("%s: %v\n%s", strings.Join(c.argv, " "), err, out)
			}
			*c.ds = append(*c.ds, time.Since(t0))
		}
	}
	mn, ml, mx, mf := median(dn), median(dl), median(dx), median(df)
	added := func(d time.Duration) string { return fmt.Sprintf("%+.0f ms", float64((d-mn).Microseconds())/1000) }
	return []row{
		{name: "launcher, status --json", ours: ms(ml), base: ms(mn) + " (native binary)", ratio: added(ml),
			note: fmt.Sprintf("node_modules/.bin/pm2dock; median of %d; goal ≤ +60 ms; Node's own start (node -e ''): %s", *sruns, ms(mf))},
		{name: "npx pm2dock status --json", ours: ms(mx), base: ms(mn) + " (native binary)", ratio: added(mx),
			note: "npm's exec before the launcher; why PM2 and Nx run the binary"},
	}, nil
}
