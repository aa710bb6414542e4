//go:build !unix

package shim

import "os"

// OpenPM2Channel: PM2 gives no usable channel here; the variable still leaves
// the environment, so no child sees it.
func OpenPM2Channel() *PM2Channel {
	os.Unsetenv("NODE_CHANNEL_FD")
	os.Unsetenv("NODE_CHANNEL_SERIALIZATION_MODE")
	return nil
}
