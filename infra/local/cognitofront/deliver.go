package cognitofront

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// ---- cognito-local's data files ------------------------------------------

// userRecord is a user as cognito-local keeps it in .cognito/db/<pool>.json.
type userRecord struct {
	Username         string
	Enabled          bool
	UserStatus       string
	ConfirmationCode string
	Attributes       []struct{ Name, Value string }
}

func (u userRecord) attr(name string) string {
	for _, a := range u.Attributes {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

var poolIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]+_[A-Za-z0-9]+$`)

// readData reads one of cognito-local's files. cognito-local rewrites a
// whole file on every change (not atomically): a read that catches it half
// written is tried again.
func (f *Front) readData(name string, v any) error {
	if f.o.CognitoDir == "" {
		return errors.New("no CognitoDir")
	}
	path := filepath.Join(f.o.CognitoDir, ".cognito", "db", name)
	var err error
	for i := 0; i < 5; i++ {
		var b []byte
		if b, err = os.ReadFile(path); err == nil {
			if err = json.Unmarshal(b, v); err == nil {
				return nil
			}
		} else if errors.Is(err, os.ErrNotExist) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// poolOfClient finds the pool an app client belongs to (clients.json).
func (f *Front) poolOfClient(clientID string) string {
	var clients struct {
		Clients map[string]struct{ UserPoolId string }
	}
	if clientID == "" || f.readData("clients.json", &clients) != nil {
		return ""
	}
	return clients.Clients[clientID].UserPoolId
}

// findUser finds a user as cognito-local does: by username, sub or e-mail.
func (f *Front) findUser(pool, name string) (userRecord, bool) {
	if !poolIDPattern.MatchString(pool) || name == "" {
		return userRecord{}, false
	}
	var data struct{ Users map[string]userRecord }
	if err := f.readData(pool+".json", &data); err != nil {
		return userRecord{}, false
	}
	if u, ok := data.Users[name]; ok {
		return u, true
	}
	for _, u := range data.Users {
		if u.attr("sub") == name || strings.EqualFold(u.attr("email"), name) {
			return u, true
		}
	}
	return userRecord{}, false
}

// guard closes two of cognito-local's holes on the API path, as Cognito
// answers: ConfirmForgotPassword without a code (which cognito-local takes
// as a match for any user with no pending code) and a disabled user's
// sign-in or refresh (which cognito-local allows).
func (f *Front) guard(_ context.Context, target string, body []byte) func(http.ResponseWriter) {
	switch target {
	case "ConfirmForgotPassword":
		var in struct{ ConfirmationCode *string }
		_ = json.Unmarshal(body, &in)
		if in.ConfirmationCode == nil || strings.TrimSpace(*in.ConfirmationCode) == "" {
			return func(w http.ResponseWriter) {
				apiError(w, http.StatusBadRequest, "InvalidParameterException",
					"1 validation error detected: Value at 'confirmationCode' failed to satisfy constraint: Member must not be null")
			}
		}
	case "InitiateAuth", "AdminInitiateAuth":
		var in struct {
			AuthFlow, ClientId, UserPoolId string
			AuthParameters                 map[string]string
		}
		_ = json.Unmarshal(body, &in)
		pool := in.UserPoolId
		if pool == "" {
			pool = f.poolOfClient(in.ClientId)
		}
		name := in.AuthParameters["USERNAME"]
		if strings.HasPrefix(in.AuthFlow, "REFRESH_TOKEN") {
			name = refreshUser(in.AuthParameters["REFRESH_TOKEN"])
		}
		if u, ok := f.findUser(pool, name); ok && !u.Enabled {
			return func(w http.ResponseWriter) {
				apiError(w, http.StatusBadRequest, "NotAuthorizedException", "User is disabled.")
			}
		}
	}
	return nil
}

// refreshUser reads the username out of one of cognito-local's refresh
// tokens (a JWT there; opaque on AWS). Not verified: cognito-local checks
// the token itself, this only finds whose it is.
func refreshUser(token string) string {
	var claims struct {
		Username string `json:"cognito:username"`
	}
	if jwtPayload(token, &claims) != nil {
		return ""
	}
	return claims.Username
}

func jwtPayload(token string, v any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// ---- the CustomMessage trigger's answers ----------------------------------

type captureKey struct{ pool, user string }

type capture struct {
	source, subject, message string
	at                       time.Time
}

// captureTTL bounds how old a trigger answer may be to go with a code: the
// trigger runs inside the ForgotPassword call whose code it words.
const captureTTL = 2 * time.Minute

// observeTrigger keeps what the CustomMessage trigger answered for a user.
func (f *Front) observeTrigger(_ context.Context, _ string, event, answer []byte) {
	var ev struct {
		TriggerSource string `json:"triggerSource"`
		UserPoolID    string `json:"userPoolId"`
		UserName      string `json:"userName"`
		Response      struct {
			EmailSubject *string `json:"emailSubject"`
			EmailMessage *string `json:"emailMessage"`
		} `json:"response"`
	}
	if json.Unmarshal(answer, &ev) != nil {
		return
	}
	if ev.TriggerSource == "" || ev.UserPoolID == "" { // an answer of {"response":…} only
		var in struct {
			TriggerSource string `json:"triggerSource"`
			UserPoolID    string `json:"userPoolId"`
			UserName      string `json:"userName"`
		}
		_ = json.Unmarshal(event, &in)
		ev.TriggerSource, ev.UserPoolID, ev.UserName = in.TriggerSource, in.UserPoolID, in.UserName
	}
	if !strings.HasPrefix(ev.TriggerSource, "CustomMessage_") || ev.UserName == "" {
		return
	}
	c := capture{source: ev.TriggerSource, subject: aws.ToString(ev.Response.EmailSubject),
		message: aws.ToString(ev.Response.EmailMessage), at: f.o.Now()}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, old := range f.captures { // keep the map small
		if f.o.Now().Sub(old.at) > captureTTL {
			delete(f.captures, k)
		}
	}
	f.captures[captureKey{ev.UserPoolID, ev.UserName}] = c
}

func (f *Front) takeCapture(pool, user, source string) (capture, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := captureKey{pool, user}
	c, ok := f.captures[k]
	delete(f.captures, k)
	if !ok || c.source != source || f.o.Now().Sub(c.at) > captureTTL || c.message == "" {
		return capture{}, false
	}
	return c, true
}

// ---- delivery -------------------------------------------------------------

// deliverForgotPassword e-mails the code of a ForgotPassword that
// cognito-local has just answered: the code from the pool's file (saved
// before the answer), worded as the CustomMessage trigger answered, else in
// plain English. Failures are logged; the caller's answer stays
// cognito-local's, as Cognito's does when a message bounces.
func (f *Front) deliverForgotPassword(ctx context.Context, reqBody []byte) {
	var in struct{ ClientId, Username string }
	if json.Unmarshal(reqBody, &in) != nil || in.Username == "" {
		return
	}
	pool := f.poolOfClient(in.ClientId)
	if pool == "" {
		pool = f.pool()
	}
	u, ok := f.findUser(pool, in.Username)
	if !ok || u.ConfirmationCode == "" {
		f.o.Log.Warn("password reset: no pending code found in cognito-local's data", "pool", pool)
		return
	}
	to := u.attr("email")
	if to == "" {
		return
	}
	if !u.Enabled {
		// Cognito sends nothing to a disabled user.
		f.o.Log.Info("password reset: identity is disabled, no code sent", "sub", u.attr("sub"))
		return
	}
	subject := "Your verification code"
	message := "Your password reset code is {####}."
	custom := false
	if c, ok := f.takeCapture(pool, u.Username, "CustomMessage_ForgotPassword"); ok {
		message, custom = c.message, true
		if c.subject != "" {
			subject = c.subject
		}
	}
	message = strings.ReplaceAll(message, "{####}", u.ConfirmationCode)
	message = strings.ReplaceAll(message, "{username}", u.Username)
	if f.o.SES == nil {
		f.o.Log.Warn("password reset: no SES client, code not delivered", "sub", u.attr("sub"))
		return
	}
	htmlBody, text := message, stripTags(message)
	if !strings.Contains(message, "<") {
		htmlBody = strings.ReplaceAll(html.EscapeString(message), "\n", "<br>\n")
		text = message
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := f.o.SES.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(f.o.Sender),
		Destination:      &sestypes.Destination{ToAddresses: []string{to}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(subject), Charset: aws.String("UTF-8")},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String(text), Charset: aws.String("UTF-8")},
				Html: &sestypes.Content{Data: aws.String(htmlBody), Charset: aws.String("UTF-8")},
			},
		}},
	})
	if err != nil {
		f.o.Log.Error("password reset: sending the code failed", "sub", u.attr("sub"), "error", err.Error())
		return
	}
	f.o.Log.Info("password reset: code sent", "sub", u.attr("sub"), "trigger_text", custom)
}

var (
	tagPattern   = regexp.MustCompile(`(?s)<[^>]*>`)
	breakPattern = regexp.MustCompile(`(?i)<br\s*/?>|</p>`)
)

func stripTags(s string) string {
	s = breakPattern.ReplaceAllString(s, "\n")
	return strings.TrimSpace(html.UnescapeString(tagPattern.ReplaceAllString(s, "")))
}
