package cognitofront

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/portalaccess/portalaccess/infra/local/totpcode"
)

// ---- authenticator apps (TOTP) -------------------------------------------
//
// cognito-local 5.3.0 has no working software token MFA for a product: it
// lacks AdminSetUserMFAPreference, shows no MFA settings in AdminGetUser,
// and never asks for a code at sign-in. The front keeps each user's app
// itself and answers these as Cognito does (codes checked with
// infra/local/totpcode, RFC 6238):
//
//   - AssociateSoftwareToken (access token): a new secret, pending.
//   - VerifySoftwareToken (access token, UserCode): the pending secret
//     becomes the user's verified app when the code is right
//     (EnableSoftwareTokenMFAException otherwise).
//   - SetUserMFAPreference (the user's own token) and
//     AdminSetUserMFAPreference: the app enabled and preferred, or off
//     (InvalidParameterException when enabling one never verified). As on
//     AWS, turning it off keeps the verified secret.
//   - AdminGetUser and GetUser: UserMFASettingList and PreferredMfaSetting
//     added to cognito-local's answer.
//   - InitiateAuth with USER_PASSWORD_AUTH of a user whose app is on: the
//     SOFTWARE_TOKEN_MFA challenge instead of the tokens, which
//     RespondToAuthChallenge with the app's code hands out (three tries).
//
// Codes are checked against the real clock, as a phone's app keeps it,
// whatever Options.Now says (tests move that one for expiries).
//
// The state is in memory, and in Options.MFAFile when one is given (the
// local stack keeps it in .local/, so an enrolment survives a restart).
// The managed login's stand-in pages do not ask for a code: a user whose
// app is on signs in there on AWS only.

type totpUser struct {
	Secret    string `json:"secret,omitempty"` // verified
	Pending   string `json:"pending,omitempty"`
	Enabled   bool   `json:"enabled"`
	Preferred bool   `json:"preferred"`
}

type mfaSession struct {
	sub    string
	result json.RawMessage // the AuthenticationResult held back
	tries  int
	until  time.Time
}

const softwareToken = "SOFTWARE_TOKEN_MFA"

func (f *Front) loadTOTP() {
	f.totp = map[string]*totpUser{}
	f.mfaSessions = map[string]*mfaSession{}
	if f.o.MFAFile == "" {
		return
	}
	b, err := os.ReadFile(f.o.MFAFile)
	if err == nil {
		_ = json.Unmarshal(b, &f.totp)
	}
}

// saveTOTP writes the state (f.mu held).
func (f *Front) saveTOTP() {
	if f.o.MFAFile == "" {
		return
	}
	b, _ := json.Marshal(f.totp)
	tmp := f.o.MFAFile + ".tmp"
	if err := os.MkdirAll(filepath.Dir(f.o.MFAFile), 0o700); err == nil {
		if err := os.WriteFile(tmp, b, 0o600); err == nil {
			_ = os.Rename(tmp, f.o.MFAFile)
		}
	}
}

// tokenSub is the sub of a valid access token, as cognito-local's GetUser
// answers for it; "" when it refuses the token.
func (f *Front) tokenSub(ctx context.Context, token string) string {
	out, err := f.cognito.GetUser(ctx, &cip.GetUserInput{AccessToken: &token})
	if err != nil {
		return ""
	}
	for _, a := range out.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value)
		}
	}
	return aws.ToString(out.Username)
}

// subOf is the sub of a user of the pool named by username, sub or e-mail.
func (f *Front) subOf(name string) string {
	u, ok := f.findUser(f.pool(), name)
	if !ok {
		return ""
	}
	if s := u.attr("sub"); s != "" {
		return s
	}
	return u.Username
}

// mfaStandIn answers the TOTP calls; false for every other.
func (f *Front) mfaStandIn(w http.ResponseWriter, r *http.Request, target string, body []byte) bool {
	switch target {
	case "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference", "AdminSetUserMFAPreference":
	case "RespondToAuthChallenge":
		var in struct {
			ChallengeName      string
			Session            string
			ChallengeResponses map[string]string
		}
		if json.Unmarshal(body, &in) != nil || in.ChallengeName != softwareToken {
			return false
		}
		f.respondMFA(w, in.Session, in.ChallengeResponses["SOFTWARE_TOKEN_MFA_CODE"])
		return true
	default:
		return false
	}
	var in struct {
		AccessToken, UserCode, UserPoolId, Username string
		SoftwareTokenMfaSettings                    *struct{ Enabled, PreferredMfa bool }
	}
	if json.Unmarshal(body, &in) != nil {
		apiError(w, http.StatusBadRequest, "InvalidParameterException", "Bad request.")
		return true
	}
	var sub string
	if target == "AdminSetUserMFAPreference" {
		if in.UserPoolId != f.pool() {
			apiError(w, http.StatusBadRequest, "ResourceNotFoundException", "User pool does not exist.")
			return true
		}
		if sub = f.subOf(in.Username); sub == "" {
			apiError(w, http.StatusBadRequest, "UserNotFoundException", "User does not exist.")
			return true
		}
	} else if sub = f.tokenSub(r.Context(), in.AccessToken); sub == "" {
		apiError(w, http.StatusBadRequest, "NotAuthorizedException", "Invalid Access Token")
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.totp[sub]
	if u == nil {
		u = &totpUser{}
		f.totp[sub] = u
	}
	switch target {
	case "AssociateSoftwareToken":
		secret, err := totpcode.NewSecret()
		if err != nil {
			apiError(w, http.StatusInternalServerError, "InternalErrorException", "No secret.")
			return true
		}
		u.Pending = secret
		f.saveTOTP()
		answer(w, map[string]any{"SecretCode": secret})
	case "VerifySoftwareToken":
		if u.Pending == "" || !totpcode.Valid(u.Pending, in.UserCode, time.Now()) {
			apiError(w, http.StatusBadRequest, "EnableSoftwareTokenMFAException", "Code mismatch")
			return true
		}
		u.Secret, u.Pending = u.Pending, ""
		f.saveTOTP()
		answer(w, map[string]any{"Status": "SUCCESS"})
	default: // the preference, the user's own or an admin's
		if s := in.SoftwareTokenMfaSettings; s != nil {
			if s.Enabled && u.Secret == "" {
				apiError(w, http.StatusBadRequest, "InvalidParameterException", "User has not verified software token mfa")
				return true
			}
			u.Enabled, u.Preferred = s.Enabled, s.Enabled && s.PreferredMfa
			f.saveTOTP()
		}
		answer(w, map[string]any{})
	}
	return true
}

// mfaAfter changes cognito-local's successful answer where the user's app
// matters: the MFA settings of a user, and a sign-in that must give its
// code first.
func (f *Front) mfaAfter(target string, status int, res []byte) []byte {
	if status != http.StatusOK {
		return res
	}
	switch target {
	case "AdminGetUser", "GetUser":
		var out map[string]any
		if json.Unmarshal(res, &out) != nil {
			return res
		}
		sub, _ := out["Username"].(string)
		if attrs, ok := out["UserAttributes"].([]any); ok {
			for _, a := range attrs {
				if m, ok := a.(map[string]any); ok && m["Name"] == "sub" {
					sub, _ = m["Value"].(string)
				}
			}
		}
		f.mu.Lock()
		u := f.totp[sub]
		delete(out, "UserMFASettingList")
		delete(out, "PreferredMfaSetting")
		if u != nil && u.Enabled {
			out["UserMFASettingList"] = []string{softwareToken}
			if u.Preferred {
				out["PreferredMfaSetting"] = softwareToken
			}
		}
		f.mu.Unlock()
		b, err := json.Marshal(out)
		if err != nil {
			return res
		}
		return b
	case "InitiateAuth":
		var out struct {
			AuthenticationResult json.RawMessage
		}
		var tokens struct{ AccessToken string }
		if json.Unmarshal(res, &out) != nil || len(out.AuthenticationResult) == 0 || json.Unmarshal(out.AuthenticationResult, &tokens) != nil {
			return res
		}
		var claims struct {
			Sub string `json:"sub"`
		}
		if jwtPayload(tokens.AccessToken, &claims) != nil {
			return res
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if u := f.totp[claims.Sub]; u == nil || !u.Enabled || u.Secret == "" {
			return res
		}
		now := time.Now()
		for k, s := range f.mfaSessions {
			if now.After(s.until) {
				delete(f.mfaSessions, k)
			}
		}
		session := randomToken()
		f.mfaSessions[session] = &mfaSession{sub: claims.Sub, result: out.AuthenticationResult, until: now.Add(3 * time.Minute)}
		b, _ := json.Marshal(map[string]any{
			"ChallengeName": softwareToken, "Session": session,
			"ChallengeParameters": map[string]string{"USER_ID_FOR_SRP": claims.Sub},
		})
		return b
	}
	return res
}

// respondMFA answers a SOFTWARE_TOKEN_MFA challenge: the tokens held back
// when the code is the app's, CodeMismatchException otherwise (three tries
// a session, then NotAuthorizedException as Cognito does when it expired).
func (f *Front) respondMFA(w http.ResponseWriter, session, code string) {
	f.mu.Lock()
	s := f.mfaSessions[session]
	var u *totpUser
	if s != nil {
		u = f.totp[s.sub]
	}
	if s == nil || u == nil || u.Secret == "" || time.Now().After(s.until) {
		delete(f.mfaSessions, session)
		f.mu.Unlock()
		apiError(w, http.StatusBadRequest, "NotAuthorizedException", "Invalid session for the user, session is expired.")
		return
	}
	if !totpcode.Valid(u.Secret, code, time.Now()) {
		if s.tries++; s.tries >= 3 {
			delete(f.mfaSessions, session)
		}
		f.mu.Unlock()
		apiError(w, http.StatusBadRequest, "CodeMismatchException", "Invalid code received for user")
		return
	}
	delete(f.mfaSessions, session)
	f.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"AuthenticationResult": s.result, "ChallengeParameters": map[string]string{}})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(b)
}

// TOTPSecret is the verified secret of a user's app (tests compute codes
// with it); "" when there is none.
func (f *Front) TOTPSecret(sub string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u := f.totp[sub]; u != nil {
		return u.Secret
	}
	return ""
}
