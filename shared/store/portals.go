package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Portal setups, beside their item in the customer's partition (C#<c>,
// CP#<p>), keep three kinds of item:
//
//	CLIENT#<client>  CLIENT         a copy of the setup, found by its app client:
//	                                the one read a portal's token costs
//	ORIGIN#<origin>  ORIGIN         the portal setups whose browser code calls from
//	                                the origin (a string set): the CORS preflight's read
//	PSYNC#<portal>   PSYNC#<cust>   the app client waits to be brought in line
//	PL#<portal>      <email>#<user> a member linked to the portal (written with the member)
const (
	skClient = "CLIENT"
	skOrigin = "ORIGIN"
)

func clientPK(id string) string           { return "CLIENT#" + id }
func originPK(origin string) string       { return "ORIGIN#" + origin }
func portalSyncPK(portal string) string   { return "PSYNC#" + portal }
func portalSyncSK(customer string) string { return "PSYNC#" + customer }
func linkPK(portal string) string         { return "PL#" + portal }
func linkSK(m domain.Member) string       { return m.Email + "#" + m.ID }

type clientItem struct {
	PK             string `dynamodbav:"pk"`
	SK             string `dynamodbav:"sk"`
	Type           string `dynamodbav:"type"`
	CustomerName   string `dynamodbav:"customerName"`
	CustomerLocale string `dynamodbav:"customerLocale"`
	domain.Portal
}

type linkItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Type       string `dynamodbav:"type"`
	MemberID   string `dynamodbav:"memberId"`
	CustomerID string `dynamodbav:"customerId"`
}

// portalSyncItem marks a portal setup whose app client is not yet known to
// match it. Its marker is the change's event id and the app client the
// change left ("<event>/<client>"): the due index projects it, so the
// sweep knows which app client to delete once the setup itself is gone.
type portalSyncItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Type   string `dynamodbav:"type"`
	DuePK  string `dynamodbav:"duePk"`
	DueSK  string `dynamodbav:"dueSk"`
	Marker string `dynamodbav:"marker"`
	TTL    int64  `dynamodbav:"ttl"`
}

func newPortalItem(p domain.Portal) portalItem {
	return portalItem{PK: customerPK(p.CustomerID), SK: portalSK(p.ID), Type: typePortal, Portal: p}
}

// ChangePortal writes a change of a portal setup in one transaction: the
// setup (conditional on its version, or on not existing yet and its
// customer existing), its copy by app client, its origins, its app
// client's marker, and the audit event.
func (s *Store) ChangePortal(ctx context.Context, ch state.PortalChange) error {
	t := s.newTx()
	var p domain.Portal // the setup the change is about
	switch {
	case ch.Before == nil:
		// The customer, not being offboarded, with room for one more setup:
		// the transactions that change a customer touch every setup's
		// client record, and hold at most 100 items.
		p = *ch.After
		count := expression.Name("portalCount")
		room := customerOpen().And(expression.AttributeNotExists(count).Or(count.LessThan(expression.Value(domain.MaxPortals))))
		t.update(customerPK(p.CustomerID), skCustomer, expression.Add(count, expression.Value(1)), &room, errCustomerGate)
		t.putNew(newPortalItem(p), state.ErrConcurrent)
	case ch.After == nil:
		p = *ch.Before
		versionIs := expression.Name("version").Equal(expression.Value(p.Version))
		t.del(customerPK(p.CustomerID), portalSK(p.ID), &versionIs, state.ErrStale)
		exists := expression.AttributeExists(expression.Name(AttrPK))
		t.update(customerPK(p.CustomerID), skCustomer, expression.Add(expression.Name("portalCount"), expression.Value(-1)), &exists, state.ErrNotFound)
	default:
		p = *ch.After
		versionIs := expression.Name("version").Equal(expression.Value(ch.Before.Version))
		t.put(newPortalItem(p), &versionIs, state.ErrStale)
	}
	before, after := ch.Before.Client(), ch.After.Client()
	if before != "" && before != after {
		t.del(clientPK(before), skClient, nil, nil)
	}
	if after != "" {
		t.put(clientItem{PK: clientPK(after), SK: skClient, Type: typePortalClient, Portal: *ch.After,
			CustomerName: ch.Customer.Name, CustomerLocale: ch.Customer.Locale}, nil, nil)
		// The copy of the customer's name and locale is the customer's as it
		// is: not renamed, nor being offboarded, since it was read.
		if ch.Before != nil {
			t.check(customerPK(p.CustomerID), skCustomer, customerAt(ch.Customer.Version), state.ErrConcurrent)
		}
	}
	was, is := ch.Before.Origins(), ch.After.Origins()
	for _, o := range is {
		if !slices.Contains(was, o) {
			t.update(originPK(o), skOrigin, expression.Add(expression.Name("portals"), expression.Value(stringSet(p.ID))), nil, nil)
		}
	}
	for _, o := range was {
		if !slices.Contains(is, o) {
			t.update(originPK(o), skOrigin, expression.Delete(expression.Name("portals"), expression.Value(stringSet(p.ID))), nil, nil)
		}
	}
	if ch.SyncClient {
		client := after
		if ch.After == nil {
			client = before
		}
		t.put(portalSyncItem{PK: portalSyncPK(p.ID), SK: portalSyncSK(p.CustomerID), Type: typePortalSync,
			DuePK: string(state.DuePortal), DueSK: dueSK(ch.Now.Add(state.SyncGrace)), Marker: ch.Event.ID + "/" + client,
			TTL: epoch(ch.Now.Add(30 * 24 * time.Hour))}, nil, nil)
	}
	t.putNew(newAuditItem(ch.Event), nil)
	t.extras(ch.Extras, domain.CustomerScope(p.CustomerID))
	return s.gate(ctx, p.CustomerID, t.commit(ctx), state.ErrLimit)
}

// PortalByClient reads the portal setup of an app client and its
// customer's name and locale, with one strongly consistent read: a setup
// deleted a moment ago is gone.
func (s *Store) PortalByClient(ctx context.Context, clientID string) (domain.Portal, domain.Customer, error) {
	var it clientItem
	if err := s.getOne(ctx, clientPK(clientID), skClient, &it); err != nil {
		return domain.Portal{}, domain.Customer{}, err
	}
	return it.Portal, domain.Customer{ID: it.CustomerID, Name: it.CustomerName, Locale: it.CustomerLocale}, nil
}

// OriginAllowed reports whether a portal setup's browser code calls from
// the origin. An origin longer than any setup's is no setup's, without a
// read: the Origin header is the client's, and DynamoDB refuses a key that
// long.
func (s *Store) OriginAllowed(ctx context.Context, origin string) (bool, error) {
	if len(origin) > domain.MaxOriginLength {
		return false, nil
	}
	var it struct {
		Portals []string `dynamodbav:"portals,stringset"`
	}
	found, err := s.get(ctx, originPK(origin), skOrigin, false, &it)
	return found && len(it.Portals) > 0, err
}

// PortalSyncDone clears a portal setup's marker once its app client
// matches it, unless a later change has written a newer marker meanwhile
// (d.Marker is the event id of the change that wrote it).
func (s *Store) PortalSyncDone(ctx context.Context, d state.Due) error {
	return s.deleteIf(ctx, portalSyncPK(d.PortalID), portalSyncSK(d.Scope.CustomerID),
		expression.Name("marker").BeginsWith(d.Marker+"/"), "clear a portal's marker")
}

// dueOfPortalSync reads a portal marker of the due index.
func dueOfPortalSync(pk, sk, marker string) (state.Due, bool) {
	portal, ok := strings.CutPrefix(pk, "PSYNC#")
	customer, ok2 := strings.CutPrefix(sk, "PSYNC#")
	if !ok || !ok2 {
		return state.Due{}, false
	}
	event, client, _ := strings.Cut(marker, "/")
	return state.Due{Scope: domain.CustomerScope(customer), PortalID: portal, ClientID: client, Marker: event}, true
}

// PortalMembers pages through the members linked to a portal setup, by
// e-mail: one read of the portal's links, one of their members.
func (s *Store) PortalMembers(ctx context.Context, customerID, portalID string, limit int32, start state.PageKey) (state.Page[domain.Member], error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(linkPK(portalID)))
	links, err := listOf(ctx, s, "", kc, limit, start, func(it *linkItem) string { return it.MemberID })
	if err != nil {
		return state.Page[domain.Member]{}, err
	}
	out := state.Page[domain.Member]{Next: links.Next}
	if len(links.Items) == 0 {
		return out, nil
	}
	members, err := s.members(ctx, domain.CustomerScope(customerID), links.Items)
	if err != nil {
		return out, err
	}
	for _, id := range links.Items {
		if m, ok := members[id]; ok { // a link outlives its member only inside a change
			out.Items = append(out.Items, m)
		}
	}
	return out, nil
}

// linkWrites adds to a member's transaction the links it gains and loses
// to portal setups (before or after nil: created or deleted).
func linkWrites(t *tx, before, after *domain.Member) {
	var was, is []string
	if before != nil {
		was = before.PortalIDs
	}
	if after != nil {
		is = after.PortalIDs
	}
	for _, p := range is {
		if !slices.Contains(was, p) {
			t.put(linkItem{PK: linkPK(p), SK: linkSK(*after), Type: typePortalLink, MemberID: after.ID, CustomerID: after.CustomerID}, nil, nil)
		}
	}
	for _, p := range was {
		if !slices.Contains(is, p) {
			t.del(linkPK(p), linkSK(*before), nil, nil)
		}
	}
}
