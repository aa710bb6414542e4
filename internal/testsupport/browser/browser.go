// Package browser starts a real headless Chromium for the dashboard's tests
// and bench (through the DevTools protocol, with chromedp): Debian's
// chromium package, provisioned by scripts/provision-browser.sh, or the
// browser PM2DOCK_CHROMIUM names.
package browser

import (
	"context"
	"errors"
	"os"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// Find returns the browser to run: PM2DOCK_CHROMIUM, else Debian's
// Chromium binary (not its /usr/bin wrapper script), else one on PATH.
func Find() (string, error) {
	if b := os.Getenv("PM2DOCK_CHROMIUM"); b != "" {
		return b, nil
	}
	if _, err := os.Stat("/usr/lib/chromium/chromium"); err == nil {
		return "/usr/lib/chromium/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium: run scripts/provision-browser.sh, or set PM2DOCK_CHROMIUM")
}

// Start runs a headless browser with a window of width×height and returns a
// context for chromedp actions on its first tab; cancel ends the browser.
func Start(ctx context.Context, width, height int) (context.Context, context.CancelFunc, error) {
	bin, err := Find()
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // root in CI
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(width, height),
		chromedp.UserDataDir(""), // a fresh temporary profile
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelTab := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		cancelTab()
		cancelAlloc()
		return nil, nil, err
	}
	return bctx, func() { cancelTab(); cancelAlloc() }, nil
}
