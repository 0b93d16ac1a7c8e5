//go:build screenshots

package browser

// shootMFA writes docs/screenshots/console-mfa.png (go test -tags
// screenshots ./infra/local/browser/ -run TestAnOperatorSetsUp -count=1).
func shootMFA(p *page, name string) { p.shoot(name, true) }
