package dashboard

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// guard refuses, before any route runs, a request that is not a read, is
// addressed to a name rather than this server (DNS rebinding), comes from
// another site's page, or lacks the token; and sets the headers that keep
// the page and its answers to itself.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer") // the token is in the URL
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			h.Set("Allow", "GET, HEAD")
			refuse(w, http.StatusMethodNotAllowed, "the dashboard only reads: "+r.Method+" is not allowed")
		case !s.host.ok(r.Host):
			refuse(w, http.StatusMisdirectedRequest, fmt.Sprintf("Host %q is not this dashboard's address", r.Host))
		case !sameOrigin(r):
			refuse(w, http.StatusForbidden, "a request from another site's page is refused")
		case !s.authorized(r):
			refuse(w, http.StatusUnauthorized, "a token is required: open the URL pm2dock dashboard printed")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func refuse(w http.ResponseWriter, code int, why string) {
	http.Error(w, "pm2dock dashboard: "+why, code)
}

// sameOrigin: a browser names the page that made a request in Origin (on
// fetches and EventSource) and says in Sec-Fetch-Site whether it was this
// site; both, when present, must say it was.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || u.Host != r.Host {
			return false
		}
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none": // none: typed in the address bar
		return true
	}
	// A top-level navigation to the page from elsewhere (the file --open
	// hands the desktop, a link): the other page cannot read what loads, and
	// the page refuses to be framed.
	return r.URL.Path == "/" && r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document"
}

func (s *Server) authorized(r *http.Request) bool {
	got := r.URL.Query().Get("token")
	if a := r.Header.Get("Authorization"); got == "" && strings.HasPrefix(a, "Bearer ") {
		got = strings.TrimPrefix(a, "Bearer ")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) == 1
}

// hostCheck accepts the Host headers that name this server: its port, and
// an IP address or localhost. A name that resolves here (a rebinding
// attacker's) is refused.
type hostCheck struct{ port string }

func newHostCheck(a net.Addr) hostCheck {
	_, port, _ := net.SplitHostPort(a.String())
	return hostCheck{port: port}
}

func (c hostCheck) ok(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || port != c.port {
		return false
	}
	return strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil
}
