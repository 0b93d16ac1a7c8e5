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
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// stream is the table's stream: new images only, all the publisher reads.
var stream = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}

// Table creates the table with its indexes and TTL unless it exists.
func Table(ctx context.Context, db *dynamodb.Client, name string) error {
	if d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name}); err == nil {
		if d.Table.StreamSpecification == nil || !aws.ToBool(d.Table.StreamSpecification.StreamEnabled) {
			// A table made before events: give it its stream.
			if _, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: &name, StreamSpecification: stream}); err != nil {
				return fmt.Errorf("enable the table's stream: %w", err)
			}
		}
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
		// Every change's audit event reaches the stream, and the events'
		// publisher reads it (shared/events), as on AWS.
		StreamSpecification: stream,
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
// sign-in, no self sign-up, the product's password policy. Without ids (a
// .local/ whose stack.json is gone) it looks for the pool it made before,
// by name, so that the data of that pool is not orphaned by a second one;
// adminEmail tells the right one apart when a second was made already.
func UserPool(ctx context.Context, c *cip.Client, name, poolID, clientID, adminEmail string) (string, string, error) {
	if poolID != "" && clientID != "" {
		_, err1 := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
		_, err2 := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &clientID})
		if err1 == nil && err2 == nil {
			return poolID, clientID, setWebClient(ctx, c, poolID, clientID)
		}
	}
	found, err := findPool(ctx, c, name, adminEmail)
	if err != nil {
		return "", "", err
	}
	if found != "" {
		if cid, err := findClient(ctx, c, found, webClient); err != nil || cid != "" {
			if err == nil {
				err = setWebClient(ctx, c, found, cid)
			}
			return found, cid, err
		}
		cid, err := createWebClient(ctx, c, found)
		return found, cid, err
	}
	pool, err := c.CreateUserPool(ctx, NewUserPool(name))
	if err != nil {
		return "", "", fmt.Errorf("create user pool: %w", err)
	}
	poolID = aws.ToString(pool.UserPool.Id)
	cid, err := createWebClient(ctx, c, poolID)
	return poolID, cid, err
}

// webClient is the name of the web console's app client.
const webClient = "web"

// The web console's client's settings. Its attributes are those of the
// stack's console client and of the portals' (an empty list would be every
// standard attribute, the e-mail included).
var webClientFlows = []ciptypes.ExplicitAuthFlowsType{
	ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
	ciptypes.ExplicitAuthFlowsTypeAllowUserSrpAuth,
	ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
}

func createWebClient(ctx context.Context, c *cip.Client, poolID string) (string, error) {
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: &poolID, ClientName: aws.String(webClient), ExplicitAuthFlows: webClientFlows,
		PreventUserExistenceErrors: ciptypes.PreventUserExistenceErrorTypesEnabled,
		ReadAttributes:             identity.PortalReadAttributes, WriteAttributes: identity.PortalWriteAttributes,
	})
	if err != nil {
		return "", fmt.Errorf("create app client: %w", err)
	}
	return aws.ToString(client.UserPoolClient.ClientId), nil
}

// setWebClient sets the settings of a web client made before again (an
// update sets every setting), so that a .local/ made by an older version
// gets what createWebClient gives a new one.
func setWebClient(ctx context.Context, c *cip.Client, poolID, clientID string) error {
	_, err := c.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{
		UserPoolId: &poolID, ClientId: &clientID, ClientName: aws.String(webClient), ExplicitAuthFlows: webClientFlows,
		PreventUserExistenceErrors: ciptypes.PreventUserExistenceErrorTypesEnabled,
		ReadAttributes:             identity.PortalReadAttributes, WriteAttributes: identity.PortalWriteAttributes,
	})
	if err != nil {
		return fmt.Errorf("update app client: %w", err)
	}
	return nil
}

// findPool returns the pool of that name, or "" when there is none. Of
// several, it prefers the one where the admin's identity lives, then the
// oldest: the first `make run` made it, and the table's subs point into it.
func findPool(ctx context.Context, c *cip.Client, name, adminEmail string) (string, error) {
	var pools []ciptypes.UserPoolDescriptionType
	in := &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)}
	for {
		out, err := c.ListUserPools(ctx, in)
		if err != nil {
			return "", fmt.Errorf("list user pools: %w", err)
		}
		for _, p := range out.UserPools {
			if aws.ToString(p.Name) == name {
				pools = append(pools, p)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	if len(pools) == 0 {
		return "", nil
	}
	sort.SliceStable(pools, func(i, j int) bool {
		return aws.ToTime(pools[i].CreationDate).Before(aws.ToTime(pools[j].CreationDate))
	})
	if adminEmail != "" {
		for _, p := range pools {
			if _, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: p.Id, Username: &adminEmail}); err == nil {
				return aws.ToString(p.Id), nil
			}
		}
	}
	return aws.ToString(pools[0].Id), nil
}

// findClient returns the pool's app client of that name, or "".
func findClient(ctx context.Context, c *cip.Client, poolID, name string) (string, error) {
	in := &cip.ListUserPoolClientsInput{UserPoolId: &poolID, MaxResults: aws.Int32(60)}
	for {
		out, err := c.ListUserPoolClients(ctx, in)
		if err != nil {
			return "", fmt.Errorf("list app clients: %w", err)
		}
		for _, cl := range out.UserPoolClients {
			if aws.ToString(cl.ClientName) == name {
				return aws.ToString(cl.ClientId), nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return "", nil
		}
		in.NextToken = out.NextToken
	}
}

// adminStore is what making the first admin reads and writes.
type adminStore interface {
	MemberByEmail(ctx context.Context, sc domain.Scope, email string) (domain.Member, error)
	CreateMember(ctx context.Context, nm state.NewMember) error
	ChangeMember(ctx context.Context, ch state.MemberChange) error
}

// NewPassword makes a password that meets the policy.
func NewPassword() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// FirstAdmin makes sure an enabled operator admin with the e-mail exists and
// signs in with the password; it is created, with its identity, when
// missing. An operator whose identity is gone (deleted by hand, or by a bug,
// or the pool made anew) is linked to a new one; one left unconfirmed,
// disabled or demoted is made the enabled admin again. It returns what it
// repaired, one line each, for `make run` to say.
func FirstAdmin(ctx context.Context, st adminStore, idp identity.Provider, email, password string) ([]string, error) {
	email, code := domain.NormalizeEmail(email)
	if code != "" {
		return nil, fmt.Errorf("admin e-mail: %s", code)
	}
	m, err := st.MemberByEmail(ctx, domain.ProviderScope, email)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, err
	}
	found := err == nil
	if found && m.Sub != "" && m.Status == domain.StatusEnabled && m.Role == domain.RoleAdmin {
		err := idp.SetPassword(ctx, m.Sub, password)
		if !errors.Is(err, identity.ErrNotFound) {
			return nil, err
		}
	}
	// An identity that signs in with the e-mail and the password.
	id, ok, err := idp.Lookup(ctx, email)
	if err != nil {
		return nil, err
	}
	if ok {
		if err := idp.SetPassword(ctx, id.Sub, password); err != nil {
			return nil, err
		}
		if !id.Enabled {
			if err := idp.Enable(ctx, id.Sub); err != nil {
				return nil, err
			}
		}
	} else if id, err = idp.Create(ctx, email, password); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	if !found {
		m := domain.Member{
			ID: domain.NewID(domain.PrefixOperator), Email: email, Name: domain.LocalPart(email),
			Status: domain.StatusEnabled, Role: domain.RoleAdmin, Sub: id.Sub,
			CreatedAt: now, UpdatedAt: now, Version: 1,
		}
		ev := domain.AuditEvent{
			ID: domain.NewID(domain.PrefixEvent), At: now, Actor: domain.SystemActor,
			Action: domain.Action(domain.KindOperator, "created"), Target: domain.TargetOf(&m),
		}
		return nil, st.CreateMember(ctx, state.NewMember{Member: m, Event: ev})
	}
	var repaired []string
	after := m
	if m.Sub != id.Sub {
		repaired = append(repaired, "its sign-in identity was gone: linked to a new one")
		after.Sub = id.Sub
	}
	if m.Status != domain.StatusEnabled {
		repaired = append(repaired, "it was "+string(m.Status)+": enabled again")
		after.Status = domain.StatusEnabled
	}
	if m.Role != domain.RoleAdmin {
		repaired = append(repaired, "it was a "+string(m.Role)+": made an admin again")
		after.Role = domain.RoleAdmin
	}
	if len(repaired) == 0 {
		return nil, nil
	}
	ch := state.MemberChange{Before: m, After: &after, Now: now}
	if inv := m.Invitation; inv != nil && inv.State == domain.InvitationPending {
		ni := *inv
		ni.State = domain.InvitationRevoked
		after.Invitation = &ni
		ch.RevokeToken = inv.TokenHash
	}
	after.Version, after.UpdatedAt = m.Version+1, now
	ch.Event = domain.AuditEvent{
		ID: domain.NewID(domain.PrefixEvent), At: now, Actor: domain.SystemActor,
		Action: domain.Action(domain.KindOperator, "repaired"), Target: domain.TargetOf(&m),
	}
	if err := st.ChangeMember(ctx, ch); err != nil {
		return nil, err
	}
	return repaired, nil
}

// NewUserPool is the user pool the local stack makes, as the CDK stack makes
// it where cognito-local can: e-mail as the case-insensitive user name,
// verified, users made by admins only, the product's password length.
func NewUserPool(name string) *cip.CreateUserPoolInput {
	return &cip.CreateUserPoolInput{
		PoolName:               &name,
		UsernameAttributes:     []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail},
		UsernameConfiguration:  &ciptypes.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		AdminCreateUserConfig:  &ciptypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true},
		Policies: &ciptypes.UserPoolPolicyType{PasswordPolicy: &ciptypes.PasswordPolicyType{
			MinimumLength: aws.Int32(int32(identity.Policy.MinLength)),
		}},
	}
}
