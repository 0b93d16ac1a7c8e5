package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// The markers of the sweep's one-time migrations other than the counts'
// backfill (backfill.go), one item each:
//
//	MIGRATION#<name>   M   where the migration stands (state.Migration)

type migrationItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	state.Migration
}

// Migration reads where the named migration stands (its zero value before
// its first step), strongly consistent: one GetItem, all a finished one costs.
func (s *Store) Migration(ctx context.Context, name string) (state.Migration, error) {
	var it migrationItem
	_, err := s.get(ctx, "MIGRATION#"+name, skMigration, true, &it)
	return it.Migration, err
}

// PutMigration records where the named migration stands.
func (s *Store) PutMigration(ctx context.Context, name string, m state.Migration) error {
	av, err := attributevalue.MarshalMap(migrationItem{PK: "MIGRATION#" + name, SK: skMigration, Type: typeMigration, Migration: m})
	if err != nil {
		return errs.Wrap("store: migration marker", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av})
	return dbError(err, "write a migration marker")
}
