package store

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Jobs, and what the offboarding of a customer reads and removes:
//
//	JOB#<job>   JOB   a job; in the due index (duePk JOB) while it has work left
const skJob = "JOB"

func jobPK(id string) string { return "JOB#" + id }

type jobItem struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	Type  string `dynamodbav:"type"`
	DuePK string `dynamodbav:"duePk,omitempty"`
	DueSK string `dynamodbav:"dueSk,omitempty"`
	TTL   int64  `dynamodbav:"ttl,omitempty"`
	domain.Job
}

func newJobItem(j domain.Job) jobItem {
	it := jobItem{PK: jobPK(j.ID), SK: skJob, Type: typeJob, Job: j}
	if !j.Done() {
		it.DuePK, it.DueSK = string(state.DueJob), dueSK(j.CreatedAt)
	}
	return it
}

// Job reads a job, strongly consistently.
func (s *Store) Job(ctx context.Context, id string) (domain.Job, error) {
	return getAs(ctx, s, jobPK(id), skJob, func(it *jobItem) domain.Job { return it.Job })
}

// UpdateJob adds to a job's counts and, with To, moves it to its next step.
func (s *Store) UpdateJob(ctx context.Context, u state.JobUpdate) error {
	ub := expression.Set(expression.Name("updatedAt"), expression.Value(u.Now))
	for name, n := range map[string]int{"members": u.Removed.Members, "invitations": u.Removed.Invitations,
		"portals": u.Removed.Portals, "records": u.Removed.Records} {
		if n != 0 {
			ub = ub.Add(expression.Name("removed."+name), expression.Value(n))
		}
	}
	c := expression.AttributeExists(expression.Name(AttrPK))
	if u.To != "" {
		ub = ub.Set(expression.Name("step"), expression.Value(u.To))
		c = c.And(expression.Name("step").Equal(expression.Value(u.From)))
	}
	_, err := s.updateIf(ctx, jobPK(u.ID), skJob, ub, c, "record a job's progress")
	if err == errConditionFailed {
		if _, rerr := s.Job(ctx, u.ID); rerr != nil {
			return rerr
		}
		return state.ErrStale
	}
	return err
}

// FinishOffboarding deletes the customer's own item, the last of it, and
// marks its job done, in one transaction.
func (s *Store) FinishOffboarding(ctx context.Context, j domain.Job, now time.Time) error {
	t := s.newTx()
	t.del(customerPK(j.CustomerID), skCustomer, nil, nil)
	u := expression.Set(expression.Name("step"), expression.Value(domain.JobDone)).
		Set(expression.Name("updatedAt"), expression.Value(now)).
		Set(expression.Name("finishedAt"), expression.Value(now)).
		Set(expression.Name(AttrTTL), expression.Value(epoch(now.Add(state.JobTTL)))).
		Remove(expression.Name("duePk")).Remove(expression.Name("dueSk"))
	c := expression.Name("step").Equal(expression.Value(domain.JobCustomer))
	t.update(jobPK(j.ID), skJob, u, &c, state.ErrStale)
	return t.commit(ctx)
}

// CustomerMembers reads the first members of a customer, strongly
// consistently, from its own partition: the offboarding removes them page
// by page, so the first page is always the next.
func (s *Store) CustomerMembers(ctx context.Context, customerID string, limit int32) ([]domain.Member, error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(customerPK(customerID))).And(expression.Key(AttrSK).BeginsWith(skMemberPre))
	p, err := listOf(ctx, s, "", kc, limit, nil, func(it *memberItem) domain.Member { return it.member() })
	return p.Items, err
}

// recordsBatch is how many records one transaction deletes (DynamoDB's
// limit of a transaction).
const recordsBatch = 100

// DeleteCustomerRecords deletes up to limit of what is left of an
// offboarded customer once its members and portal setups are gone: every
// other item of its partition (its profile, and whatever else is kept
// there) but the customer's own, and its audit trail. It returns how many
// it deleted; 0 when nothing is left.
func (s *Store) DeleteCustomerRecords(ctx context.Context, customerID string, limit int32) (int, error) {
	const what = "delete an offboarded customer's records"
	var keys [][2]string
	// The partition, without the customer, its portal setups and members
	// with their e-mails' records (their own steps remove them with what
	// points at them).
	kc := expression.Key(AttrPK).Equal(expression.Value(customerPK(customerID)))
	kept := func(sk string) bool {
		return sk == skCustomer || strings.HasPrefix(sk, skPortalPre) || strings.HasPrefix(sk, skMemberPre) || strings.HasPrefix(sk, skEmailPre)
	}
	if err := s.keysOf(ctx, kc, kept, limit, &keys); err != nil {
		return 0, errs.Wrap("store: "+what, err)
	}
	if len(keys) < int(limit) {
		akc := expression.Key(AttrPK).Equal(expression.Value(auditPK(domain.CustomerScope(customerID))))
		if err := s.keysOf(ctx, akc, nil, limit-int32(len(keys)), &keys); err != nil {
			return 0, errs.Wrap("store: "+what, err)
		}
	}
	for i := 0; i < len(keys); i += recordsBatch {
		t := s.newTx()
		for _, k := range keys[i:min(i+recordsBatch, len(keys))] {
			t.del(k[0], k[1], nil, nil)
		}
		if err := t.commit(ctx); err != nil {
			return i, err
		}
	}
	return len(keys), nil
}

// keysOf appends the keys of up to limit items of a partition, strongly
// consistently, but those whose sort key skip keeps (DynamoDB filters on
// no key attribute; the few kept are read past).
func (s *Store) keysOf(ctx context.Context, kc expression.KeyConditionBuilder, skip func(sk string) bool, limit int32, out *[][2]string) error {
	e, err := expression.NewBuilder().WithKeyCondition(kc).
		WithProjection(expression.NamesList(expression.Name(AttrPK), expression.Name(AttrSK))).Build()
	if err != nil {
		return err
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: e.KeyCondition(),
		ProjectionExpression: e.Projection(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: s.capacityMode(),
	}
	start := len(*out)
	for {
		in.Limit = aws.Int32(limit - int32(len(*out)-start) + 1) // one more: the customer's own item may be among them
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return dbError(err, "query an offboarded customer's records")
		}
		s.consumed("Query", res.ConsumedCapacity)
		for _, item := range res.Items {
			var k struct {
				PK string `dynamodbav:"pk"`
				SK string `dynamodbav:"sk"`
			}
			if err := attributevalue.UnmarshalMap(item, &k); err != nil {
				return err
			}
			if (skip == nil || !skip(k.SK)) && len(*out)-start < int(limit) {
				*out = append(*out, [2]string{k.PK, k.SK})
			}
		}
		if res.LastEvaluatedKey == nil || len(*out)-start >= int(limit) {
			return nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// jobOfDue reads a job's entry of the due index.
func jobOfDue(pk string) (state.Due, bool) {
	id, ok := strings.CutPrefix(pk, "JOB#")
	return state.Due{JobID: id}, ok
}
