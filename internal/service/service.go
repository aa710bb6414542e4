// Package service names the one concept every layer passes around: a
// service's Key. The key is pm2dock.yaml's name for the service (in
// zero-config mode profile.AppName of its compose name) and, unchanged, its
// PM2 app name, its folder in the log store, the event journal and the
// figures history, and its state file's name. The compose service a key runs
// is another name (profile.Service.Compose), never a Key.
package service

// Key is a service's key; profile.ValidKey says which strings can be one.
type Key string

// String is the key as text.
func (k Key) String() string { return string(k) }

// Strings is keys as text (for the stores and PM2, which take strings).
func Strings(keys []Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = string(k)
	}
	return out
}

// Keys is names as keys (command-line arguments, say).
func Keys(names []string) []Key {
	out := make([]Key, len(names))
	for i, n := range names {
		out[i] = Key(n)
	}
	return out
}
