package ports

import "testing"

func TestFromEngineErrorRecognisesConflicts(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want Binding
	}{
		{"port allocator",
			"Error response from daemon: driver failed programming external connectivity on endpoint devstack-postgres-1 (3f2a9c1e8b7d): Bind for 0.0.0.0:5432 failed: port is already allocated",
			Binding{"0.0.0.0", 5432, "tcp"}},
		{"port allocator IPv6",
			"Bind for [::]:5432 failed: port is already allocated",
			Binding{"::", 5432, "tcp"}},
		{"userland proxy",
			"Error response from daemon: driver failed programming external connectivity on endpoint vibrant_banach (b72db00e7396d0f1bc7602e1c468a5de6ef48482d54542e38acd6e73d558b826): Error starting userland proxy: listen tcp4 0.0.0.0:8001: bind: address already in use.",
			Binding{"0.0.0.0", 8001, "tcp"}},
		{"userland proxy udp",
			"Error starting userland proxy: listen udp4 127.0.0.1:53: bind: address already in use",
			Binding{"127.0.0.1", 53, "udp"}},
		{"userland proxy tcp6",
			"Error starting userland proxy: listen tcp6 [::1]:5432: bind: address already in use",
			Binding{"::1", 5432, "tcp"}},
		{"docker 28 with container side",
			"Error response from daemon: failed to set up container networking: driver failed programming external connectivity on endpoint avatar-avatar-app-1 (f8a30e4fb223): failed to bind host port for 127.0.0.1:5432:172.31.0.2:5432/tcp: address already in use",
			Binding{"127.0.0.1", 5432, "tcp"}},
		{"docker 28 udp",
			"failed to bind host port 0.0.0.0:53/udp: address already in use",
			Binding{"0.0.0.0", 53, "udp"}},
		{"docker desktop",
			"Error response from daemon: Ports are not available: exposing port UDP 0.0.0.0:5353 -> 0.0.0.0:0: listen udp 0.0.0.0:5353: bind: address already in use",
			Binding{"0.0.0.0", 5353, "udp"}},
		{"docker desktop on windows",
			"Ports are not available: exposing port TCP 127.0.0.1:8080 -> 0.0.0.0:0: listen tcp 127.0.0.1:8080: bind: Only one usage of each socket address (protocol/network address/port) is normally permitted.",
			Binding{"127.0.0.1", 8080, "tcp"}},
		{"old docker for mac",
			"Error starting userland proxy: Bind for 0.0.0.0:80: unexpected error (Failure EADDRINUSE)",
			Binding{"0.0.0.0", 80, "tcp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FromEngineError(tt.msg)
			if !ok || got != tt.want {
				t.Errorf("FromEngineError = %+v, %v; want %+v, true", got, ok, tt.want)
			}
		})
	}
}

func TestFromEngineErrorIgnoresOtherFailures(t *testing.T) {
	for _, msg := range []string{
		"",
		"Error response from daemon: No such image: postgres:15",
		// Same prefix as a conflict, but an iptables failure naming the container address.
		"driver failed programming external connectivity on endpoint web (abc123): (iptables failed: iptables --wait -t nat -A DOCKER -p tcp -d 0/0 --dport 5432 -j DNAT --to-destination 172.17.0.2:5432 ! -i docker0: iptables: No chain/target/match by that name. (exit status 1))",
		// Hyper-V reserved range on Windows: the engine fails too, but nothing holds the port.
		"Ports are not available: exposing port TCP 0.0.0.0:5432 -> 0.0.0.0:0: listen tcp 0.0.0.0:5432: bind: An attempt was made to access a socket in a way forbidden by its access permissions.",
		// A conflict that names no address cannot become a Binding.
		"Error starting userland proxy: Failed to bind: EADDRINUSE",
		"Bind for 0.0.0.0:99999 failed: port is already allocated",
		"listen tcp 999.1.1.1:80: bind: address already in use",
	} {
		if b, ok := FromEngineError(msg); ok {
			t.Errorf("FromEngineError(%q) = %+v, want not recognised", msg, b)
		}
	}
}
