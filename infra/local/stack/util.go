package stack

import (
	"encoding/base64"
	"path/filepath"
)

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// mfaFile is where the Cognito front keeps the users' authenticator apps:
// beside the other data, or nowhere (in memory) for a throw-away stack.
func mfaFile(dataDir string) string {
	if dataDir == "" {
		return ""
	}
	return filepath.Join(dataDir, "cognito-mfa.json")
}
