package cognito

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/portalaccess/portalaccess/shared/identity"
)

// A password Cognito's pattern refuses is a weak password (400), not an
// internal error; other bad parameters stay internal.
func TestABadPasswordParameterIsAWeakPassword(t *testing.T) {
	pattern := &types.InvalidParameterException{Message: aws.String("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$")}
	if err := fail(fmt.Errorf("op: %w", pattern), "AdminSetUserPassword"); !errors.Is(err, identity.ErrWeakPassword) {
		t.Fatalf("pattern refusal: %v", err)
	}
	other := &types.InvalidParameterException{Message: aws.String("Invalid attributes given, email is missing")}
	if err := fail(other, "AdminCreateUser"); errors.Is(err, identity.ErrWeakPassword) || err == nil {
		t.Fatalf("other bad parameter: %v", err)
	}
}
