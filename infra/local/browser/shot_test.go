//go:build screenshots

package browser

import (
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

// shoot writes docs/screenshots/<name> from what p shows once it has
// settled and passed the accessibility check. whole takes the whole page,
// with nothing focused; else the window as it is. A picture over 300 KB is
// an error: they are committed.
func (p *page) shoot(name string, whole bool) {
	p.t.Helper()
	p.settled()
	if whole {
		p.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	}
	// Let the last paint land (fonts, the dialog's backdrop).
	p.do("paint", chromedp.Sleep(150*time.Millisecond))
	p.checkA11y(name)
	capture := chromedp.CaptureScreenshot()
	if whole {
		capture = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(p.ctx, capture)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(png) > 300<<10 {
		p.t.Errorf("%s is %d KB, over 300 KB", name, len(png)>>10)
	}
	dir := filepath.Join("..", "..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("%s: %d KB", name, len(png)>>10)
}
