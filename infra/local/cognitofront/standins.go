package cognitofront

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// standIn answers the API calls cognito-local does not implement and the
// product makes, as Cognito would answer them; false for every other call.
//
//   - CreateManagedLoginBranding: a portal's app client gets the managed
//     login's own style when it is made. The stand-in's pages have one
//     style for every client, so the call only records that the client has
//     one (a second call is ManagedLoginBrandingExistsException, as on AWS).
//   - AdminUserGlobalSignOut: on AWS it revokes the user's refresh tokens.
//     cognito-local has no way to; the product signs out only users it has
//     disabled or deleted, whose refresh the front refuses anyway (guard),
//     and the API's own check (the caller read from the table on every
//     request) refuses their access tokens at once.
func (f *Front) standIn(w http.ResponseWriter, target string, body []byte) bool {
	switch target {
	case "CreateManagedLoginBranding":
		var in struct {
			UserPoolID string `json:"UserPoolId"`
			ClientID   string `json:"ClientId"`
		}
		if json.Unmarshal(body, &in) != nil || in.ClientID == "" || in.UserPoolID != f.pool() {
			apiError(w, http.StatusBadRequest, "InvalidParameterException", "UserPoolId and ClientId are required.")
			return true
		}
		f.mu.Lock()
		if f.brandings == nil {
			f.brandings = map[string]string{}
		}
		_, exists := f.brandings[in.ClientID]
		if !exists {
			var b [16]byte
			_, _ = rand.Read(b[:])
			f.brandings[in.ClientID] = hex.EncodeToString(b[:])
		}
		id := f.brandings[in.ClientID]
		f.mu.Unlock()
		if exists {
			apiError(w, http.StatusBadRequest, "ManagedLoginBrandingExistsException", "The app client already has a managed login style.")
			return true
		}
		answer(w, map[string]any{"ManagedLoginBranding": map[string]any{
			"ManagedLoginBrandingId": id, "UserPoolId": in.UserPoolID, "UseCognitoProvidedValues": true,
		}})
		return true
	case "AdminUserGlobalSignOut":
		answer(w, map[string]any{})
		return true
	}
	return false
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(v)
}

// Branded reports whether the app client was given a managed login style,
// which managed login needs for each client to show its pages: tests look.
func (f *Front) Branded(clientID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.brandings[clientID]
	return ok
}
