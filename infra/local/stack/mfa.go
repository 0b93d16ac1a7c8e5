package stack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/portalaccess/portalaccess/infra/local/totpcode"
)

// Operators sign in with a second factor (shared/app/mfa). These are the
// steps a person takes in the console, for tests and scripts: sign in
// answering the authenticator app's challenge, and set an app up.

// cognitoAPI is a plain client of the front, as a browser calls it.
func (s *Stack) cognitoAPI() *cip.Client {
	return cip.NewFromConfig(s.Clients.AWS, func(o *cip.Options) { o.BaseEndpoint = aws.String(s.Info.Cognito.Endpoint) })
}

// SignIn signs in with the e-mail and password at the console's app
// client, and when Cognito asks for the authenticator app's code, gives
// the code of the app the front holds for the user (as their phone would).
func (s *Stack) SignIn(ctx context.Context, email, password string) (*types.AuthenticationResultType, error) {
	return s.SignInAt(ctx, s.Info.Cognito.ClientID, email, password)
}

// SignInAt is SignIn at another app client (a portal's).
func (s *Stack) SignInAt(ctx context.Context, clientID, email, password string) (*types.AuthenticationResultType, error) {
	c := s.cognitoAPI()
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		return nil, err
	}
	if out.AuthenticationResult != nil {
		return out.AuthenticationResult, nil
	}
	if out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		return nil, fmt.Errorf("sign in as %s: challenge %s", email, out.ChallengeName)
	}
	code, err := s.TOTPCode(out.ChallengeParameters["USER_ID_FOR_SRP"])
	if err != nil {
		return nil, err
	}
	res, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code},
	})
	if err != nil {
		return nil, err
	}
	if res.AuthenticationResult == nil {
		return nil, errors.New("no tokens after the code")
	}
	return res.AuthenticationResult, nil
}

// TOTPCode is the code the user's authenticator app shows now.
func (s *Stack) TOTPCode(sub string) (string, error) {
	secret := s.Front.TOTPSecret(sub)
	if secret == "" {
		return "", fmt.Errorf("no authenticator app for %s", sub)
	}
	return totpcode.Code(secret, time.Now())
}

// SetUpTOTP sets an authenticator app up with the user's access token
// (AssociateSoftwareToken, VerifySoftwareToken with its code) and returns
// its secret; it does not tell the product (EnrolMFA does).
func (s *Stack) SetUpTOTP(ctx context.Context, accessToken string) (string, error) {
	c := s.cognitoAPI()
	as, err := c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: &accessToken})
	if err != nil {
		return "", fmt.Errorf("AssociateSoftwareToken: %w", err)
	}
	secret := aws.ToString(as.SecretCode)
	code, err := totpcode.Code(secret, time.Now())
	if err != nil {
		return "", err
	}
	if _, err := c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: &accessToken, UserCode: &code}); err != nil {
		return "", fmt.Errorf("VerifySoftwareToken: %w", err)
	}
	return secret, nil
}

// EnrolMFA sets an app up for the signed-in operator and confirms it with
// POST /v1/me/mfa, as the console does.
func (s *Stack) EnrolMFA(ctx context.Context, accessToken string) error {
	if _, err := s.SetUpTOTP(ctx, accessToken); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Info.APIURL+"/v1/me/mfa", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /v1/me/mfa answered %d", res.StatusCode)
	}
	return nil
}

// enrolAdmin enrols the first operator admin unless they are (Options.EnrolAdmin).
func (s *Stack) enrolAdmin(ctx context.Context) error {
	res, err := s.SignIn(ctx, s.Info.Admin.Email, s.Info.Admin.Password)
	if err != nil {
		return fmt.Errorf("sign in as the first admin: %w", err)
	}
	token := aws.ToString(res.AccessToken)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Info.APIURL+"/v1/customers", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	r.Body.Close()
	if r.StatusCode == http.StatusOK {
		return nil // enrolled already
	}
	return s.EnrolMFA(ctx, token)
}
