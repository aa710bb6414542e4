package shim

import (
	"encoding/json"
	"io"
	"sync"
)

// PM2Channel is the IPC channel PM2 gives every fork-mode app, the shim
// included (`interpreter: none` too): a socket at the fd NODE_CHANNEL_FD names,
// read by PM2 as newline-framed JSON (docs/pm2-facts.md#custom-metrics). The
// shim writes `axm:monitor` messages there — what @pm2/io sends for custom
// metrics — so that `pm2 show` and `pm2 monit` show the container's figures,
// not the shim's. A nil channel (no PM2 channel, Windows) drops everything.
type PM2Channel struct {
	mu sync.Mutex
	w  io.Writer
}

// Metric is one custom metric as PM2 shows it.
type Metric struct {
	Name, Value string
}

// Publish sends the metrics; an error (PM2 gone) makes the channel go quiet.
func (c *PM2Channel) Publish(ms ...Metric) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w == nil {
		return
	}
	data := map[string]map[string]string{}
	for _, m := range ms {
		data[m.Name] = map[string]string{"value": m.Value}
	}
	raw, _ := json.Marshal(map[string]any{"type": "axm:monitor", "data": data})
	if _, err := c.w.Write(append(raw, '\n')); err != nil {
		c.w = nil
	}
}
