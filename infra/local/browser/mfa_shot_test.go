//go:build screenshots

package browser

import (
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

// shootMFA writes docs/screenshots/console-mfa.png (go test -tags
// screenshots ./infra/local/browser/ -run TestAnOperatorSetsUp -count=1).
func shootMFA(p *page, name string) {
	p.t.Helper()
	p.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	p.do("paint", chromedp.Sleep(150*time.Millisecond))
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "..", "docs", "screenshots", name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}
