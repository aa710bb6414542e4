package profile

import (
	"fmt"
	"regexp"
	"strings"
)

var keyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)
var allDigits = regexp.MustCompile(`^[0-9]+$`)

// ValidKey reports why key cannot be a service key (PM2 app name and file
// name), or nil.
func ValidKey(key string) error {
	switch {
	case !keyRE.MatchString(key):
		return fmt.Errorf("service key %q is not allowed: use a letter or digit, then letters, digits, '-' or '_' (at most 63)", key)
	case allDigits.MatchString(key):
		return fmt.Errorf("service key %q is not allowed: PM2 reads an all-digit name as a process id", key)
	case key == "all":
		return fmt.Errorf("service key %q is not allowed: `pm2 restart all` would mean every app", key)
	}
	return nil
}

var invalidKeyRunes = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// AppName is the PM2 app name (and service key) of a compose service when no
// pm2dock.yaml names it: the compose name itself when it is a valid key, else
// the name with each run of other characters made one '-', trimmed, cut to
// fit, and prefixed "svc-" where that is still no key (empty, all digits,
// "all"). It is the one rule: zero-config mode, `init`, and through them the
// ecosystem and the Nx targets use it.
func AppName(compose string) string {
	if ValidKey(compose) == nil {
		return compose
	}
	key := strings.Trim(invalidKeyRunes.ReplaceAllString(compose, "-"), "-_")
	if key == "" || ValidKey(key) != nil && len(key) <= 63 {
		key = "svc-" + key
	}
	if len(key) > 63 {
		key = strings.TrimRight(key[:63], "-_")
	}
	return key
}

// AppNames maps each compose service to its AppName; two services that map
// to one name are an error naming both.
func AppNames(services []string) (map[string]string, error) {
	keys, by := map[string]string{}, map[string]string{}
	for _, name := range services {
		key := AppName(name)
		if other, dup := by[key]; dup {
			return nil, usage(fmt.Errorf("compose services %q and %q both map to the PM2 app name %q", other, name, key),
				fmt.Sprintf("name them yourself in %s: services: {KEY: {service: %q}}", FileName, name))
		}
		keys[name], by[key] = key, name
	}
	return keys, nil
}
