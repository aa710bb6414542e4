// Command oauth2check proves an OAuth2 server works end to end, the way an app
// would use Ory Hydra: it registers a client through the admin API, gets an
// access token for it with the client-credentials grant from the public API,
// and has the admin API introspect that token. The demo ends with it and the
// Hydra e2e test runs it. Exit 0 when all three succeed.
//
//	oauth2check -admin http://127.0.0.1:54445 -public http://127.0.0.1:54444
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() {
	admin := flag.String("admin", "http://127.0.0.1:54445", "Hydra's admin API")
	public := flag.String("public", "http://127.0.0.1:54444", "Hydra's public API")
	flag.Parse()
	if err := run(*admin, *public); err != nil {
		fmt.Fprintln(os.Stderr, "oauth2check:", err)
		os.Exit(1)
	}
}

var hc = &http.Client{Timeout: 10 * time.Second}

func run(admin, public string) error {
	var client struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	body := `{"client_name":"pm2dock-demo","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic"}`
	if err := call(http.MethodPost, admin+"/admin/clients", "application/json", body, "", "", http.StatusCreated, &client); err != nil {
		return fmt.Errorf("create a client: %w", err)
	}
	fmt.Printf("created OAuth2 client %s through the admin API (%s)\n", client.ID, admin)
	var token struct {
		Access    string `json:"access_token"`
		ExpiresIn int    `json:"expires_in"`
		Type      string `json:"token_type"`
	}
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	if err := call(http.MethodPost, public+"/oauth2/token", "application/x-www-form-urlencoded", form, client.ID, client.Secret, http.StatusOK, &token); err != nil {
		return fmt.Errorf("client-credentials token: %w", err)
	}
	if token.Access == "" {
		return fmt.Errorf("client-credentials token: no access_token in the reply")
	}
	fmt.Printf("got a %s access token with client credentials (%s/oauth2/token), valid %d s\n", token.Type, public, token.ExpiresIn)
	var intro struct {
		Active   bool   `json:"active"`
		ClientID string `json:"client_id"`
	}
	form = url.Values{"token": {token.Access}}.Encode()
	if err := call(http.MethodPost, admin+"/admin/oauth2/introspect", "application/x-www-form-urlencoded", form, "", "", http.StatusOK, &intro); err != nil {
		return fmt.Errorf("introspect: %w", err)
	}
	if !intro.Active || intro.ClientID != client.ID {
		return fmt.Errorf("introspect: token active %v for client %q, want active for %s", intro.Active, intro.ClientID, client.ID)
	}
	fmt.Println("the admin API introspects the token as active for that client")
	return nil
}

func call(method, u, ctype, body, user, pass string, want int, out any) error {
	req, err := http.NewRequest(method, u, bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ctype)
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", method, u, res.Status, strings.TrimSpace(string(raw)))
	}
	return json.Unmarshal(raw, out)
}
