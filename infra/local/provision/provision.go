// Package provision creates, when missing, what the local stack and the
// tests run against: the table (from the same schema the CDK stack reads),
// the user pool and its app client, and a first operator admin.
package provision

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/store"
)

// Table creates the table with its indexes and TTL unless it exists.
func Table(ctx context.Context, db *dynamodb.Client, name string) error {
	if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name}); err == nil {
		return nil
	} else {
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			return fmt.Errorf("describe table: %w", err)
		}
	}
	attrs := map[string]bool{store.AttrPK: true, store.AttrSK: true}
	in := &dynamodb.CreateTableInput{
		TableName:   &name,
		BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(store.AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(store.AttrSK), KeyType: types.KeyTypeRange},
		},
	}
	for _, ix := range store.Indexes {
		attrs[ix.PK], attrs[ix.SK] = true, true
		p := &types.Projection{ProjectionType: types.ProjectionTypeAll}
		if ix.KeysOnly {
			p = &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
		} else if ix.NonKey != nil {
			p = &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: ix.NonKey}
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SK), KeyType: types.KeyTypeRange},
			},
			Projection: p,
		})
	}
	for a := range attrs {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, time.Minute); err != nil {
		return fmt.Errorf("wait for table: %w", err)
	}
	_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               &name,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(store.AttrTTL), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("enable TTL: %w", err)
	}
	return nil
}

// UserPool returns the pool and app client, creating them unless poolID
// and clientID name ones that exist. The pool is set up as on AWS: e-mail
// sign-in, no self sign-up, the product's password policy.
func UserPool(ctx context.Context, c *cip.Client, name, poolID, clientID string) (string, string, error) {
	if poolID != "" && clientID != "" {
		_, err1 := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
		_, err2 := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &clientID})
		if err1 == nil && err2 == nil {
			return poolID, clientID, nil
		}
	}
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               &name,
		UsernameAttributes:     []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail},
		UsernameConfiguration:  &ciptypes.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		AdminCreateUserConfig:  &ciptypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true},
		Policies: &ciptypes.UserPoolPolicyType{PasswordPolicy: &ciptypes.PasswordPolicyType{
			MinimumLength: aws.Int32(int32(identity.Policy.MinLength)),
		}},
	})
	if err != nil {
		return "", "", fmt.Errorf("create user pool: %w", err)
	}
	poolID = aws.ToString(pool.UserPool.Id)
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: &poolID,
		ClientName: aws.String("web"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{
			ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			ciptypes.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
		PreventUserExistenceErrors: ciptypes.PreventUserExistenceErrorTypesEnabled,
	})
	if err != nil {
		return "", "", fmt.Errorf("create app client: %w", err)
	}
	return poolID, aws.ToString(client.UserPoolClient.ClientId), nil
}

// NewPassword makes a password that meets the policy.
func NewPassword() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// FirstAdmin makes sure an enabled operator admin with the e-mail exists and
// signs in with the password; it is created, with its identity, when missing.
func FirstAdmin(ctx context.Context, st *store.Store, idp identity.Provider, email, password string) error {
	email, code := domain.NormalizeEmail(email)
	if code != "" {
		return fmt.Errorf("admin e-mail: %s", code)
	}
	if m, err := st.MemberByEmail(ctx, domain.ProviderScope, email); err == nil {
		if m.Sub != "" {
			return idp.SetPassword(ctx, m.Sub, password)
		}
		return nil
	} else if !apperr.Is(err, apperr.NotFound, "") {
		return err
	}
	id, found, err := idp.Lookup(ctx, email)
	if err != nil {
		return err
	}
	if found {
		if err := idp.SetPassword(ctx, id.Sub, password); err != nil {
			return err
		}
	} else if id, err = idp.Create(ctx, email, password); err != nil {
		return err
	}
	now := time.Now().UTC()
	m := domain.Member{
		ID: domain.NewID(domain.PrefixOperator), Email: email, Name: domain.LocalPart(email),
		Status: domain.StatusEnabled, Role: domain.RoleAdmin, Sub: id.Sub,
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	ev := domain.AuditEvent{
		ID: domain.NewID(domain.PrefixEvent), At: now, Actor: domain.SystemActor,
		Action: domain.Action(domain.KindOperator, "created"), Target: domain.TargetOf(&m),
	}
	return st.CreateMember(ctx, m, ev, nil)
}
