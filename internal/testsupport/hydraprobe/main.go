// Command hydraprobe is the healthcheck of pm2dock's Ory Hydra test image
// (pm2dock-test/hydra, FROM scratch, so there is no curl or wget in it):
//
//	hydraprobe URL
//
// GETs URL with a 2 s timeout and exits 0 when the answer is 200 OK, 1 otherwise
// (2 on a usage error), printing one short line either way.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hydraprobe URL")
		os.Exit(2)
	}
	os.Exit(probe(os.Args[1]))
}

func probe(url string) int {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Printf("hydraprobe: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		fmt.Printf("hydraprobe: %s: %s\n", url, resp.Status)
		return 1
	}
	fmt.Printf("hydraprobe: %s: %s\n", url, resp.Status)
	return 0
}
