//go:build import10k

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// The 10,000-row version of TestImportJobKilledHalfWay: make import-10k
// (the build tag import10k) runs it alone, and prints the wall time and
// the send rate held.
func TestImport10k(t *testing.T) {
	wall, rate := runImport(t, 9997) // and 3 more: a member already, an invalid e-mail, a duplicate
	fmt.Printf("import-10k: 10,000 rows (9,997 invited) in %s: %.1f invitations a second held (IMPORT_SEND_RATE %d, IMPORT_CONCURRENCY %d)\n",
		wall.Round(time.Second), rate, st.Config.ImportSendRate, st.Config.ImportConcurrency)
}
