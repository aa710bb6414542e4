package ports

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// inUseMarkers are the phrases with which the engine, docker-proxy, Docker
// Desktop and Winsock say a port is taken. A message must carry one: "driver
// failed programming external connectivity" alone also prefixes iptables
// failures, which name addresses but are no conflict.
var inUseMarkers = []string{
	"port is already allocated",
	"address already in use",
	"eaddrinuse",
	"only one usage of each socket address",
}

const ipPattern = `\b\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]`

var (
	// hostPortRe finds the first "ip:port" of a message, which in every shape
	// the engine produces is the host side of the mapping.
	hostPortRe = regexp.MustCompile(`(` + ipPattern + `):(\d{1,5})\b`)
	// protoAfterRe reads "/udp" after the host port, skipping the container side
	// of Docker 28's "0.0.0.0:8000:172.31.0.2:8000/tcp".
	protoAfterRe = regexp.MustCompile(`^(?::(?:` + ipPattern + `):\d{1,5})?/(tcp|udp)\b`)
	// protoBeforeRe reads the protocol named just before the address:
	// "listen udp4 0.0.0.0:53", "exposing port TCP 0.0.0.0:80".
	protoBeforeRe = regexp.MustCompile(`(?i)\b(tcp|udp)[46]? $`)
)

// FromEngineError recognises the engine's own bind failures in a message from
// `docker compose up` or the Engine API and returns the Binding it names. The
// protocol is tcp unless the message says udp. ok is false for any other
// message, including a port conflict that names no address.
//
// Shapes recognised (each possibly behind "Error response from daemon: ..."):
//
//	Bind for 0.0.0.0:5432 failed: port is already allocated
//	... Error starting userland proxy: listen tcp4 0.0.0.0:5432: bind: address already in use
//	driver failed programming external connectivity ... failed to bind host port for 127.0.0.1:5432:172.18.0.2:5432/tcp: address already in use
//	Ports are not available: exposing port TCP 0.0.0.0:5432 -> 0.0.0.0:0: listen tcp 0.0.0.0:5432: bind: address already in use
func FromEngineError(msg string) (Binding, bool) {
	if !mentionsInUse(msg) {
		return Binding{}, false
	}
	m := hostPortRe.FindStringSubmatchIndex(msg)
	if m == nil {
		return Binding{}, false
	}
	ip, err := netip.ParseAddr(strings.Trim(msg[m[2]:m[3]], "[]"))
	if err != nil {
		return Binding{}, false
	}
	port, err := strconv.Atoi(msg[m[4]:m[5]])
	if err != nil || port < 1 || port > 65535 {
		return Binding{}, false
	}
	proto := protocolAround(msg[:m[0]], msg[m[1]:])
	return Binding{HostIP: ip.String(), Port: port, Protocol: proto}, true
}

func mentionsInUse(msg string) bool {
	lower := strings.ToLower(msg)
	for _, marker := range inUseMarkers {
		if strings.Contains(lower, marker) {
			return true
		}
	}
	return false
}

// protocolAround reads the protocol from the text right after or right before
// the host address, and falls back to tcp: "Bind for ... port is already
// allocated" names none, and compose's default is tcp.
func protocolAround(before, after string) string {
	if m := protoAfterRe.FindStringSubmatch(after); m != nil {
		return m[1]
	}
	if m := protoBeforeRe.FindStringSubmatch(before); m != nil {
		return strings.ToLower(m[1])
	}
	return "tcp"
}
