package store

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// The organization profile lives in the customer's partition:
//
//	C#<customer>   AD#<address>     an address
//	C#<customer>   SA#<agreement>   a service agreement
//
// Each kind is one Query of its prefix; the customer's item counts them, so
// that their limits hold race-free.
const (
	skAddressPre   = "AD#"
	skAgreementPre = "SA#"
)

type addressItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	domain.Address
}

type agreementItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	domain.ServiceAgreement
}

// profileKind is what the two kinds of profile record share in the table.
type profileKind struct {
	prefix, count string
	max           int
}

var (
	addresses  = profileKind{prefix: skAddressPre, count: "addressCount", max: domain.MaxAddresses}
	agreements = profileKind{prefix: skAgreementPre, count: "agreementCount", max: domain.MaxAgreements}
)

// ChangeAddress writes the creation, change or deletion of an address.
func (s *Store) ChangeAddress(ctx context.Context, ch state.AddressChange) error {
	return changeProfile(ctx, s, addresses, ch, func(a domain.Address) any {
		return addressItem{PK: customerPK(a.CustomerID), SK: skAddressPre + a.ID, Type: typeAddress, Address: a}
	})
}

// ChangeAgreement writes the creation, change or deletion of a service agreement.
func (s *Store) ChangeAgreement(ctx context.Context, ch state.AgreementChange) error {
	return changeProfile(ctx, s, agreements, ch, func(a domain.ServiceAgreement) any {
		return agreementItem{PK: customerPK(a.CustomerID), SK: skAgreementPre + a.ID, Type: typeAgreement, ServiceAgreement: a}
	})
}

// changeProfile writes one profile record: created (no before) with the
// customer's count, changed on the version read, or deleted (after nil).
func changeProfile[T any, P interface {
	*T
	Meta() *domain.Record
}](ctx context.Context, s *Store, k profileKind, ch state.RecordChange[T], item func(T) any) error {
	var after any
	cur, version := ch.After, 0
	if ch.After != nil {
		after = item(*ch.After)
	}
	if ch.Before != nil {
		cur, version = ch.Before, P(ch.Before).Meta().Version
	}
	r := P(cur).Meta()
	return s.writeProfile(ctx, k, r.CustomerID, r.ID, ch.Before != nil, after, version, ch.Event, ch.Extras)
}

// writeProfile is changeProfile's transaction.
func (s *Store) writeProfile(ctx context.Context, k profileKind, customerID, id string, existed bool, after any, version int, ev domain.AuditEvent, x state.Extras) error {
	t := s.newTx()
	pk, sk := customerPK(customerID), k.prefix+id
	versionIs := expression.Name("version").Equal(expression.Value(version))
	count := expression.Name(k.count)
	switch {
	case !existed:
		room := customerOpen().And(expression.AttributeNotExists(count).Or(count.LessThan(expression.Value(k.max))))
		t.update(pk, skCustomer, expression.Add(count, expression.Value(1)), &room, errCustomerGate)
		t.putNew(after, state.ErrConcurrent)
	case after == nil:
		t.del(pk, sk, &versionIs, state.ErrStale)
		exists := expression.AttributeExists(expression.Name(AttrPK))
		t.update(pk, skCustomer, expression.Add(count, expression.Value(-1)), &exists, state.ErrNotFound)
	default:
		t.put(after, &versionIs, state.ErrStale)
	}
	t.putNew(newAuditItem(ev), nil)
	t.extras(x, domain.CustomerScope(customerID))
	return s.gate(ctx, customerID, t.commit(ctx), state.ErrLimit)
}

// Addresses reads every address of a customer, oldest first.
func (s *Store) Addresses(ctx context.Context, customerID string) ([]domain.Address, error) {
	return readProfile(ctx, s, customerID, skAddressPre, func(it *addressItem) domain.Address { return it.Address })
}

// Agreements reads every service agreement of a customer, oldest first.
func (s *Store) Agreements(ctx context.Context, customerID string) ([]domain.ServiceAgreement, error) {
	return readProfile(ctx, s, customerID, skAgreementPre, func(it *agreementItem) domain.ServiceAgreement { return it.ServiceAgreement })
}

// readProfile reads every record of one kind of a customer, oldest first.
func readProfile[I, T any, P interface {
	*T
	Meta() *domain.Record
}](ctx context.Context, s *Store, customerID, prefix string, record func(*I) T) ([]T, error) {
	var out []T
	err := s.profileItems(ctx, customerID, prefix, appendAs(&out, record))
	slices.SortFunc(out, func(a, b T) int {
		ra, rb := P(&a).Meta(), P(&b).Meta()
		if c := ra.CreatedAt.Compare(rb.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(ra.ID, rb.ID)
	})
	return out, err
}

// profileItems reads every item of a prefix of the customer's partition,
// strongly consistently (a change is seen by the next read).
func (s *Store) profileItems(ctx context.Context, customerID, prefix string, each func(map[string]types.AttributeValue) error) error {
	kc := expression.Key(AttrPK).Equal(expression.Value(customerPK(customerID))).And(expression.Key(AttrSK).BeginsWith(prefix))
	return s.queryAll(ctx, kc, "read the profile", func(item map[string]types.AttributeValue) error {
		return errs.Wrap("store: decode a profile record", each(item))
	})
}
