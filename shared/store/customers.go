package store

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// CreateCustomer writes a new customer and its audit event; also are the
// same creation on other trails (the provider's).
func (s *Store) CreateCustomer(ctx context.Context, c domain.Customer, ev domain.AuditEvent, x state.Extras, also ...domain.AuditEvent) error {
	t := s.newTx()
	t.putNew(newCustomerItem(c), state.ErrConcurrent)
	t.putNew(newAuditItem(ev), nil)
	for _, e := range also {
		t.putNew(newAuditItem(e), nil)
	}
	t.extras(x, domain.ProviderScope)
	return t.commit(ctx)
}

// Customer reads one customer, strongly consistently: the start of its
// offboarding is seen by the very next request.
func (s *Store) Customer(ctx context.Context, id string) (domain.Customer, error) {
	return getAs(ctx, s, customerPK(id), skCustomer, (*customerItem).customer)
}

// ChangeCustomer writes a change of a customer (its name or locale, or the
// start of its offboarding) in one transaction with its portal setups'
// client records, the job and the audit events. The customer is updated,
// never replaced, so that the counts other transactions keep on it stand.
func (s *Store) ChangeCustomer(ctx context.Context, ch state.CustomerChange) error {
	t := s.newTx()
	a := ch.After
	u := expression.Set(expression.Name("name"), expression.Value(a.Name)).
		Set(expression.Name("locale"), expression.Value(a.Locale)).
		Set(expression.Name("updatedAt"), expression.Value(a.UpdatedAt)).
		Set(expression.Name("version"), expression.Value(a.Version)).
		Set(expression.Name("policy"), expression.Value(a.Policy))
	if ch.Job != nil {
		// Gone from the listing of customers at once.
		u = u.Set(expression.Name("offboardingJob"), expression.Value(ch.Job.ID)).
			Remove(expression.Name("listPk")).Remove(expression.Name("listSk"))
	} else {
		u = u.Set(expression.Name("listSk"), expression.Value(customerOrder(a)))
	}
	c := customerAt(ch.Before.Version).And(expression.AttributeNotExists(expression.Name("offboardingJob")))
	t.update(customerPK(ch.Before.ID), skCustomer, u, &c, errCustomerGate)
	for _, p := range ch.Portals {
		if p.ClientID == "" {
			continue // not registered yet: it has no client record
		}
		if ch.Job != nil {
			t.del(clientPK(p.ClientID), skClient, nil, nil) // its tokens stop at once
			continue
		}
		exists := expression.AttributeExists(expression.Name(AttrPK))
		t.update(clientPK(p.ClientID), skClient, expression.Set(expression.Name("customerName"), expression.Value(a.Name)).
			Set(expression.Name("customerLocale"), expression.Value(a.Locale)), &exists, state.ErrConcurrent)
	}
	if ch.Job != nil {
		t.putNew(newJobItem(*ch.Job), state.ErrConcurrent)
	}
	for _, e := range ch.Events {
		t.putNew(newAuditItem(e), nil)
	}
	t.extras(ch.Extras, domain.ProviderScope)
	return s.gate(ctx, ch.Before.ID, t.commit(ctx), state.ErrStale)
}

// customerAt is the condition that the customer exists at a version; one
// at version 1 may have been written before customers had versions.
func customerAt(version int) expression.ConditionBuilder {
	version = max(version, 1)
	c := expression.Name("version").Equal(expression.Value(version))
	if version <= 1 {
		c = c.Or(expression.AttributeExists(expression.Name(AttrPK)).And(expression.AttributeNotExists(expression.Name("version"))))
	}
	return c
}

// customerOpen is the condition that the customer exists and is not being
// offboarded: what adding anything to it needs.
func customerOpen() expression.ConditionBuilder {
	return expression.AttributeExists(expression.Name(AttrPK)).And(expression.AttributeNotExists(expression.Name("offboardingJob")))
}

// errCustomerGate is what a transaction whose condition on the customer
// failed returns; gate tells the reasons apart.
var errCustomerGate = errors.New("the customer's condition failed")

// gate answers a transaction that failed on its condition on the
// customer: ErrNotFound when the customer is gone or being offboarded,
// otherwise the reason the condition stood for (a version, a limit).
func (s *Store) gate(ctx context.Context, customerID string, err, otherwise error) error {
	if err != errCustomerGate {
		return err
	}
	cu, rerr := s.Customer(ctx, customerID)
	switch {
	case errors.Is(rerr, state.ErrNotFound):
		return state.ErrNotFound
	case rerr != nil:
		return rerr
	case cu.Offboarding():
		return state.ErrNotFound
	}
	return otherwise
}

// CustomerWithPortals reads a customer and all its portal setups in one
// Query: they share the partition, and their sort keys begin with "C".
func (s *Store) CustomerWithPortals(ctx context.Context, id string) (domain.Customer, []domain.Portal, error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(customerPK(id))).
		And(expression.Key(AttrSK).BeginsWith(skCustomer))
	var c domain.Customer
	var portals []domain.Portal
	found := false
	err := s.queryAll(ctx, kc, "read a customer", func(item map[string]types.AttributeValue) error {
		sk, _ := stringAttr(item, AttrSK)
		if sk == skCustomer {
			var it customerItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return errs.Wrap("store: decode a customer", err)
			}
			c, found = it.customer(), true
		} else if strings.HasPrefix(sk, skPortalPre) {
			var it portalItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return errs.Wrap("store: decode a portal setup", err)
			}
			portals = append(portals, it.Portal)
		}
		return nil
	})
	if err != nil {
		return c, nil, err
	}
	if !found {
		return c, nil, state.ErrNotFound
	}
	return c, portals, nil
}

// ListCustomers pages through all customers, sorted by name.
func (s *Store) ListCustomers(ctx context.Context, limit int32, start state.PageKey) (state.Page[domain.Customer], error) {
	kc := expression.Key("listPk").Equal(expression.Value(pkCustomers))
	return listOf(ctx, s, IndexListing, kc, limit, start, func(it *customerItem) domain.Customer { return it.customer() })
}
