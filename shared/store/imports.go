package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Imports, in their customer's partition (so that an offboarding's sweep of
// the partition takes them with it):
//
//	C#<customer>   IM#<import>           the import job, with its counts by outcome
//	C#<customer>   IM#<import>#<chunk>   a chunk of its rows (at most 50), with their outcomes
const (
	skImportPre = "IM#"
	typeImport  = "import"
	typeChunk   = "import_chunk"
)

func importSK(id string) string                  { return skImportPre + id }
func chunkSK(id string, n int) string            { return fmt.Sprintf("%s%s#%05d", skImportPre, id, n) }
func chunkPrefix(id string) string               { return skImportPre + id + "#" }
func importKeys(cid, id string) (string, string) { return customerPK(cid), importSK(id) }

type importItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	TTL  int64  `dynamodbav:"ttl"`
	// In the due index (IMPORT) until its chunks are queued.
	DuePK string `dynamodbav:"duePk,omitempty"`
	DueSK string `dynamodbav:"dueSk,omitempty"`
	domain.Import
}

// chunkItem keeps its rows as one JSON string: compact, and read whole.
type chunkItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	TTL  int64  `dynamodbav:"ttl"`
	N    int    `dynamodbav:"n"`
	Rows string `dynamodbav:"rows"`
	Done bool   `dynamodbav:"done"`
}

func (it chunkItem) chunk() (domain.ImportChunk, error) {
	c := domain.ImportChunk{N: it.N, Done: it.Done}
	if err := json.Unmarshal([]byte(it.Rows), &c.Rows); err != nil {
		return c, errs.Wrap("store: decode an import's chunk", err)
	}
	return c, nil
}

// chunkTxBytes bounds one transaction of chunks by size (DynamoDB takes 4 MB
// at most) as well as by count.
const chunkTxBytes = 3 << 20

// CreateImport writes an import's chunks, then the import itself on
// condition that its customer is there and not offboarding.
func (s *Store) CreateImport(ctx context.Context, ni state.NewImport) error {
	const what = "create an import"
	imp := ni.Import
	ttl := epoch(imp.CreatedAt.Add(state.ImportTTL))
	t := s.newTx()
	size := 0
	for _, c := range ni.Chunks {
		b, err := json.Marshal(c.Rows)
		if err != nil {
			return errs.Wrap("store: "+what, err)
		}
		if len(t.items) > 0 && (size+len(b) > chunkTxBytes || len(t.items) >= 99) {
			if err := t.commit(ctx); err != nil {
				return err
			}
			t, size = s.newTx(), 0
		}
		t.put(chunkItem{PK: customerPK(imp.CustomerID), SK: chunkSK(imp.ID, c.N), Type: typeChunk, TTL: ttl, N: c.N, Rows: string(b), Done: c.Done}, nil, nil)
		size += len(b)
	}
	// The last transaction holds the import: it exists only once every chunk does.
	pk, sk := importKeys(imp.CustomerID, imp.ID)
	it := importItem{PK: pk, SK: sk, Type: typeImport, TTL: ttl, Import: imp}
	if !imp.Queued {
		it.DuePK, it.DueSK = string(state.DueImport), dueSK(imp.CreatedAt.Add(state.ImportQueueGrace))
	}
	t.putNew(it, state.ErrConcurrent)
	live := expression.AttributeExists(expression.Name(AttrPK)).And(expression.AttributeNotExists(expression.Name("offboardingJob")))
	t.check(customerPK(imp.CustomerID), skCustomer, live, state.ErrNotFound)
	t.extras(ni.Extras, domain.CustomerScope(imp.CustomerID))
	return t.commit(ctx)
}

// Import reads an import, strongly consistently.
func (s *Store) Import(ctx context.Context, customerID, id string) (domain.Import, error) {
	var it importItem
	pk, sk := importKeys(customerID, id)
	found, err := s.get(ctx, pk, sk, true, &it)
	if err != nil {
		return domain.Import{}, err
	}
	if !found || it.Type != typeImport {
		return domain.Import{}, state.ErrNotFound
	}
	return it.Import, nil
}

// ImportChunk reads one chunk of an import, strongly consistently.
func (s *Store) ImportChunk(ctx context.Context, customerID, id string, n int) (domain.ImportChunk, error) {
	var it chunkItem
	if err := s.getOne(ctx, customerPK(customerID), chunkSK(id, n), &it); err != nil {
		return domain.ImportChunk{}, err
	}
	return it.chunk()
}

// ImportChunks reads every chunk of an import in order (at most 200 items,
// about 1 MB for 10,000 rows: a few pages of one Query).
func (s *Store) ImportChunks(ctx context.Context, customerID, id string) ([]domain.ImportChunk, error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(customerPK(customerID))).And(expression.Key(AttrSK).BeginsWith(chunkPrefix(id)))
	var out []domain.ImportChunk
	err := s.queryAll(ctx, kc, "read an import's chunks", func(item map[string]types.AttributeValue) error {
		var it chunkItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return errs.Wrap("store: decode an import's chunk", err)
		}
		c, err := it.chunk()
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordChunk records a chunk's outcomes and adds them to its import's
// counts, once; then marks the import finished when every row has its
// outcome.
func (s *Store) RecordChunk(ctx context.Context, d state.ChunkDone) error {
	b, err := json.Marshal(d.Chunk.Rows)
	if err != nil {
		return errs.Wrap("store: record an import's chunk", err)
	}
	t := s.newTx()
	notDone := expression.AttributeExists(expression.Name(AttrPK)).And(expression.Name("done").Equal(expression.Value(false)))
	t.update(customerPK(d.CustomerID), chunkSK(d.ImportID, d.Chunk.N),
		expression.Set(expression.Name("done"), expression.Value(true)).Set(expression.Name("rows"), expression.Value(string(b))),
		&notDone, state.ErrStale)
	pk, sk := importKeys(d.CustomerID, d.ImportID)
	u := expression.Set(expression.Name("updatedAt"), expression.Value(d.Now))
	for name, n := range map[string]int{"invited": d.Counts.Invited, "alreadyMember": d.Counts.AlreadyMember, "invalid": d.Counts.Invalid} {
		if n != 0 {
			u = u.Add(expression.Name("counts."+name), expression.Value(n))
		}
	}
	exists := expression.AttributeExists(expression.Name(AttrPK))
	t.update(pk, sk, u, &exists, state.ErrNotFound)
	if err := t.commit(ctx); err != nil {
		return err
	}
	imp, err := s.Import(ctx, d.CustomerID, d.ImportID)
	if err != nil || !imp.Done() || imp.FinishedAt != nil {
		return err
	}
	fin := expression.Set(expression.Name("finishedAt"), expression.Value(d.Now))
	_, err = s.updateIf(ctx, pk, sk, fin, expression.AttributeNotExists(expression.Name("finishedAt")).Or(expression.Name("finishedAt").AttributeType(expression.Null)), "finish an import")
	if err == errConditionFailed {
		return nil // finished by another chunk's recording
	}
	return err
}

// MarkImportQueued records that every chunk of an import is on the queue.
func (s *Store) MarkImportQueued(ctx context.Context, customerID, id string) error {
	pk, sk := importKeys(customerID, id)
	_, err := s.updateIf(ctx, pk, sk, expression.Set(expression.Name("queued"), expression.Value(true)).
		Remove(expression.Name("duePk")).Remove(expression.Name("dueSk")),
		expression.AttributeExists(expression.Name(AttrPK)), "mark an import queued")
	if err == errConditionFailed {
		return state.ErrNotFound
	}
	return err
}

// CustomerEmails are the e-mails of a customer's members, from the records
// that keep them unique (keys only: one Query page per some 15,000).
func (s *Store) CustomerEmails(ctx context.Context, customerID string) (map[string]bool, error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(customerPK(customerID))).And(expression.Key(AttrSK).BeginsWith(skEmailPre))
	e, err := expression.NewBuilder().WithKeyCondition(kc).WithProjection(expression.NamesList(expression.Name(AttrSK))).Build()
	if err != nil {
		return nil, errs.Wrap("store: read a customer's e-mails", err)
	}
	in := &dynamodb.QueryInput{TableName: &s.table, KeyConditionExpression: e.KeyCondition(), ProjectionExpression: e.Projection(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ReturnConsumedCapacity: s.capacityMode()}
	out := map[string]bool{}
	err = s.queryPages(ctx, in, "read a customer's e-mails", func(item map[string]types.AttributeValue) error {
		var k struct {
			SK string `dynamodbav:"sk"`
		}
		if err := attributevalue.UnmarshalMap(item, &k); err != nil {
			return errs.Wrap("store: decode an e-mail record", err)
		}
		out[k.SK[len(skEmailPre):]] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
