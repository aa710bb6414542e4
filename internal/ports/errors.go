package ports

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/pm2dock/pm2dock/internal/render"
)

// ConflictError says that a published host port is taken, and by whom when
// that could be found out. Err is the bind or engine error behind it.
type ConflictError struct {
	Binding Binding
	Holder  *Holder // nil when unknown
	Err     error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("port %s is already in use%s", e.Binding, holderPhrase(e.Holder, e.Binding, runtime.GOOS))
}

func (e *ConflictError) Unwrap() error { return e.Err }

// IsConflict reports whether err, or an error it wraps, is a *ConflictError.
func IsConflict(err error) bool {
	var c *ConflictError
	return errors.As(err, &c)
}

// maxCmdline keeps a message on a line or two: a JVM's argv runs to kilobytes.
const maxCmdline = 100

// holderPhrase completes "port X is already in use" with who holds it. A
// container is named before a process, since docker-proxy tells the user nothing.
func holderPhrase(h *Holder, b Binding, goos string) string {
	switch {
	case h == nil:
		return " (holder unknown: " + unknownHint(b, goos) + ")"
	case h.Container != nil && h.EngineHost != "":
		return " on the engine's machine (" + h.EngineHost + ") by container " + containerPhrase(h.Container)
	case h.Container != nil:
		return " by container " + containerPhrase(h.Container)
	case h.EngineHost != "":
		return " on the engine's machine (" + h.EngineHost + ") by something that is not one of its containers; " +
			"it cannot be named from here (on that machine: " + remoteHint(b) + ")"
	}
	var detail string
	switch {
	case h.Name != "" && h.Cmdline != "":
		detail = h.Name + ": " + truncate(h.Cmdline, maxCmdline)
	case h.Name != "":
		detail = h.Name
	default:
		detail = truncate(h.Cmdline, maxCmdline)
	}
	if detail == "" {
		return fmt.Sprintf(" by pid %d", h.PID)
	}
	return fmt.Sprintf(" by pid %d (%s)", h.PID, detail)
}

func containerPhrase(c *ContainerRef) string {
	name := strings.TrimPrefix(c.Name, "/") // the Engine API's Names start with a slash
	if name == "" {
		name = render.ShortID(c.ID)
	}
	var labels []string
	if c.Project != "" {
		labels = append(labels, "compose project "+c.Project)
	}
	if c.Service != "" {
		labels = append(labels, "service "+c.Service)
	}
	if len(labels) == 0 {
		return name
	}
	return name + " (" + strings.Join(labels, ", ") + ")"
}

// remoteHint tells how to find the holder on the engine's (Linux) machine.
func remoteHint(b Binding) string {
	if b.Protocol == "udp" {
		return "`sudo ss -lunp 'sport = :" + strconv.Itoa(b.Port) + "'`"
	}
	return "`sudo ss -ltnp 'sport = :" + strconv.Itoa(b.Port) + "'`"
}

// unknownHint tells the user how to find the holder by hand on their OS.
func unknownHint(b Binding, goos string) string {
	port := strconv.Itoa(b.Port)
	udp := b.Protocol == "udp"
	switch {
	case goos == "linux" && udp:
		return "run as root or check with `sudo ss -lunp 'sport = :" + port + "'`"
	case goos == "linux":
		return "run as root or check with `sudo ss -ltnp 'sport = :" + port + "'`"
	case goos == "darwin" && udp:
		return "run as root or check with `sudo lsof -nP -iUDP:" + port + "`"
	case goos == "darwin":
		return "run as root or check with `sudo lsof -nP -iTCP:" + port + " -sTCP:LISTEN`"
	case goos == "windows" && udp:
		return "check with `netstat -ano -p UDP | findstr :" + port + "`"
	case goos == "windows":
		return "check with `netstat -ano -p TCP | findstr :" + port + "`"
	}
	return "check which process holds port " + port
}

// truncate shortens s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// IsAddrInUse reports whether err (from net.Listen) says the address is
// taken, on every platform (WSAEADDRINUSE on Windows).
func IsAddrInUse(err error) bool { return isAddrInUse(err) }
