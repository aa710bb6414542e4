// Package buildinfo tells which pm2dock this is.
package buildinfo

import "runtime/debug"

// Version is set at link time (-X); otherwise the module version or "dev".
var Version = ""

// String returns the version, the VCS revision when known, and the Go version.
func String() string {
	v, rev, goV := Version, "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		goV = bi.GoVersion
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	out := "pm2dock " + v
	if rev != "" {
		out += " (" + rev + ")"
	}
	return out + " " + goV
}
