//go:build !screenshots

package browser

// shootMFA makes the screenshot only with -tags screenshots.
func shootMFA(*page, string) {}
