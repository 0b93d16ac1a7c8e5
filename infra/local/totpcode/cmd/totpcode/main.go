// Command totpcode prints the code an authenticator app with the secret
// shows now: `go run ./infra/local/totpcode/cmd/totpcode SECRET`. For the
// local stack only (scripts, the README's curl walk-through).
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/portalaccess/portalaccess/infra/local/totpcode"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: totpcode SECRET")
		os.Exit(2)
	}
	code, err := totpcode.Code(os.Args[1], time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, "totpcode:", err)
		os.Exit(1)
	}
	fmt.Println(code)
}
