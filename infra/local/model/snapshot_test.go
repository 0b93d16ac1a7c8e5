package model

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/shared/domain"
)

// The test's own clients: the stack's configuration without the fault
// injector, so that looking never fails and is never counted.
func testClients() (*dynamodb.Client, *cip.Client) {
	cfg := st.Clients.AWS.Copy()
	cfg.APIOptions = nil
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(st.Info.DynamoDB.Endpoint) })
	cog := cip.NewFromConfig(cfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(st.Info.Cognito.Endpoint) })
	return ddb, cog
}

// snapshot is everything the model can see, read straight from the
// emulators: the items of the run's partitions and of the identities,
// tokens and idempotency keys it knows; the Cognito users; the e-mails that
// arrived since the last snapshot; the audit events per scope.
type snapshot struct {
	items map[string]map[string]types.AttributeValue // "pk|sk" → item
	users map[string]cognitoUser                     // by sub
	mails []emulators.Email                          // new since the last snapshot
	audit map[string]int                             // by scope
	// watched are the keys read one by one (outside the run's partitions):
	// two snapshots are compared on the keys both read.
	watched map[string]bool
	// parts are the partitions read besides the run's scopes (a portal's
	// links): two snapshots are compared on the partitions both read.
	parts map[string]bool
	// clients are the portals' app clients in the user pool (id → name);
	// branded those given the managed login's style; goneClients the ids
	// of app clients the run knew and whose CLIENT# record is watched.
	clients     map[string]string
	branded     map[string]bool
	goneClients []string
}

// watchFor is how many snapshots a key that is no longer live is still
// read, so that what a step leaves behind is seen; keys found stay.
const watchFor = 3

type cognitoUser struct {
	Sub, Email, Status string
	Enabled            bool
}

func itemKey(pk, sk string) string { return pk + "|" + sk }

func scopeKey(sc string) string {
	if sc == provider {
		return "OPS"
	}
	return "C#" + sc
}

// take reads a snapshot. It reads a few partitions, a batch of known keys,
// one count per audit trail, the user pool and the new e-mails: a few
// dozen milliseconds while the data is small.
func (w *world) take() (*snapshot, error) {
	ctx := context.Background()
	s := &snapshot{items: map[string]map[string]types.AttributeValue{}, users: map[string]cognitoUser{}, audit: map[string]int{},
		watched: map[string]bool{}, parts: map[string]bool{}, clients: map[string]string{}, branded: map[string]bool{}}
	scopes := append([]string{provider}, customerIDs(w.m)...)
	for _, sc := range scopes {
		if err := w.queryAll(ctx, scopeKey(sc), func(it map[string]types.AttributeValue) {
			s.items[itemKey(str(it, "pk"), str(it, "sk"))] = it
		}); err != nil {
			return nil, err
		}
		n, err := w.auditCount(ctx, sc)
		if err != nil {
			return nil, err
		}
		s.audit[sc] = n
	}
	// The markers the due index holds of accepts and portal setups.
	for _, kind := range []string{"PENDID", "PORTAL"} {
		if err := w.queryDue(ctx, kind, func(it map[string]types.AttributeValue) {
			s.items[itemKey(str(it, "pk"), str(it, "sk"))] = it
			made.partitions[str(it, "pk")] = true
		}); err != nil {
			return nil, err
		}
	}
	// The portals' links, of the setups the model has or had lately.
	for _, cu := range w.m.customers {
		if !cu.static {
			for _, p := range cu.portals {
				w.portalSeen[p.ID] = watchFor + 1
			}
		}
	}
	for pid := range w.m.portalMarkers {
		w.portalSeen[pid] = watchFor + 1
	}
	for pid, n := range w.portalSeen {
		pk := "PL#" + pid
		s.parts[pk] = true
		made.partitions[pk] = true
		if err := w.queryAll(ctx, pk, func(it map[string]types.AttributeValue) {
			s.items[itemKey(str(it, "pk"), str(it, "sk"))] = it
		}); err != nil {
			return nil, err
		}
		if n <= 1 {
			delete(w.portalSeen, pid)
		} else {
			w.portalSeen[pid] = n - 1
		}
	}
	// The app clients of the user pool: the console's is not a portal's.
	in := &cip.ListUserPoolClientsInput{UserPoolId: aws.String(st.Info.Cognito.UserPoolID), MaxResults: aws.Int32(60)}
	for {
		out, err := w.cog.ListUserPoolClients(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list app clients: %w", err)
		}
		for _, c := range out.UserPoolClients {
			if name := aws.ToString(c.ClientName); strings.HasPrefix(name, "portal-") {
				id := aws.ToString(c.ClientId)
				s.clients[id], s.branded[id] = name, st.Front.Branded(id)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	out, err := w.cog.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(st.Info.Cognito.UserPoolID)})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	for _, u := range out.Users {
		cu := cognitoUser{Sub: aws.ToString(u.Username), Enabled: u.Enabled, Status: string(u.UserStatus)}
		for _, a := range u.Attributes {
			switch aws.ToString(a.Name) {
			case "email":
				cu.Email = aws.ToString(a.Value)
			case "sub":
				cu.Sub = aws.ToString(a.Value)
			}
		}
		s.users[cu.Sub] = cu
	}
	// The keys the model knows of: identity copies and markers of the subs
	// it knows, token records of the tokens, idempotency records of the
	// keys. A key stays watched while it is live or its item exists, and a
	// few snapshots after, so that the cost of a step does not grow with the
	// run.
	live := func(set map[string]int, k string) { set[k] = watchFor + 1 }
	for sub := range w.m.identities {
		live(w.subsSeen, sub)
	}
	for sub := range s.users {
		live(w.subsSeen, sub)
	}
	for _, it := range s.items {
		if sub := str(it, "sub"); sub != "" {
			live(w.subsSeen, sub)
		}
		if inv, ok := it["invitation"].(*types.AttributeValueMemberM); ok {
			if h := str(inv.Value, "tokenHash"); h != "" {
				live(w.hashesSeen, h)
			}
		}
	}
	for id, r := range w.m.idem {
		if w.m.now.Sub(r.at) < idempotencyTTL {
			live(w.idemWatch, id)
		}
	}
	var keys []map[string]types.AttributeValue
	owner := map[string]string{} // key → what keeps it watched
	key := func(pk, sk, by string) {
		keys = append(keys, map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}})
		s.watched[itemKey(pk, sk)] = true
		owner[itemKey(pk, sk)] = by
	}
	for sub := range w.subsSeen {
		made.partitions["S#"+sub], made.partitions["SYNC#"+sub] = true, true
		for _, sc := range scopes {
			key("S#"+sub, scopeKey(sc), "sub "+sub)
		}
		key("SYNC#"+sub, "SYNC", "sub "+sub)
	}
	for h := range w.hashesSeen {
		key("INV#"+h, "INV", "hash "+h)
	}
	for id := range w.idemWatch {
		key("IDEM#"+id, "IDEM", "idem "+id)
	}
	// The records that find a portal setup by its app client and by its
	// origin, of the setups the model has and had.
	origins := map[string]bool{}
	for _, cu := range w.m.customers {
		if cu.static {
			continue
		}
		for _, p := range cu.portals {
			if p.ClientID != "" {
				w.clientSeen[p.ClientID] = watchFor + 1
			}
			origins[p.origin()] = true
		}
	}
	for _, pm := range w.m.portalMarkers {
		if pm.gone != nil {
			origins[pm.gone.origin()] = true
		}
	}
	for id := range w.clientSeen {
		made.partitions["CLIENT#"+id] = true
		key("CLIENT#"+id, "CLIENT", "client "+id)
		s.goneClients = append(s.goneClients, id)
	}
	for o := range origins {
		made.partitions["ORIGIN#"+o] = true
		key("ORIGIN#"+o, "ORIGIN", "")
	}
	found := map[string]bool{}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		batch := keys[:n]
		keys = keys[n:]
		req := map[string]types.KeysAndAttributes{st.Info.DynamoDB.Table: {Keys: batch, ConsistentRead: aws.Bool(true)}}
		for len(req) > 0 {
			res, err := w.ddb.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("batch get: %w", err)
			}
			for _, it := range res.Responses[st.Info.DynamoDB.Table] {
				k := itemKey(str(it, "pk"), str(it, "sk"))
				s.items[k] = it
				found[owner[k]] = true
			}
			req = res.UnprocessedKeys
		}
	}
	age := func(set map[string]int, kind string) {
		for k, n := range set {
			switch {
			case found[kind+" "+k]:
				set[k] = watchFor + 1
			case n <= 1:
				delete(set, k)
			default:
				set[k] = n - 1
			}
		}
	}
	age(w.subsSeen, "sub")
	age(w.hashesSeen, "hash")
	age(w.clientSeen, "client")
	// An idempotency record outlives its 24 hours (DynamoDB Local runs no
	// TTL): it is watched while its key may be replayed, not while it is.
	delete(found, "")
	for k := range w.idemWatch {
		delete(found, "idem "+k)
	}
	age(w.idemWatch, "idem")
	mails, err := w.newMail()
	if err != nil {
		return nil, err
	}
	s.mails = mails
	return s, nil
}

// queryDue reads every item the due index holds of a kind (its keys, its
// due time, its marker).
func (w *world) queryDue(ctx context.Context, kind string, each func(map[string]types.AttributeValue)) error {
	in := &dynamodb.QueryInput{
		TableName: aws.String(st.Info.DynamoDB.Table), IndexName: aws.String("due"),
		KeyConditionExpression:    aws.String("duePk = :k"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: kind}},
	}
	return w.queryPages(ctx, in, "query the due index for "+kind, eachItem(each))
}

func (w *world) queryAll(ctx context.Context, pk string, each func(map[string]types.AttributeValue)) error {
	in := &dynamodb.QueryInput{
		TableName: aws.String(st.Info.DynamoDB.Table), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
	}
	return w.queryPages(ctx, in, "query "+pk, eachItem(each))
}

// queryPages runs a query page by page to its end; what names it in an
// error.
func (w *world) queryPages(ctx context.Context, in *dynamodb.QueryInput, what string, page func(*dynamodb.QueryOutput)) error {
	for {
		res, err := w.ddb.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		page(res)
		if res.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// eachItem calls each for every item of a page.
func eachItem(each func(map[string]types.AttributeValue)) func(*dynamodb.QueryOutput) {
	return func(res *dynamodb.QueryOutput) {
		for _, it := range res.Items {
			each(it)
		}
	}
}

// auditCount counts a scope's audit events. Events are written at the
// business clock's time, which never goes back: those before the clock's
// last time are counted once and kept, and only the rest are counted again,
// so that counting does not grow with the trail.
func (w *world) auditCount(ctx context.Context, sc string) (int, error) {
	a := w.audits[sc]
	if a == nil {
		a = &auditTally{}
		w.audits[sc] = a
	}
	pk := "A#" + scopeKey(sc)
	newer, err := w.count(ctx, pk, a.from, "")
	if err != nil {
		return 0, err
	}
	if until := w.m.now.UTC().Format(auditTime); until > a.from {
		older, err := w.count(ctx, pk, a.from, until)
		if err != nil {
			return 0, err
		}
		a.frozen += older
		a.from = until
		newer -= older
	}
	return a.frozen + newer, nil
}

// auditTally: frozen events have sort keys before from.
type auditTally struct {
	frozen int
	from   string
}

const auditTime = "2006-01-02T15:04:05.000000000Z" // shared/store's sortTime

// count counts a partition's items, with sort keys from from (inclusive)
// to until (exclusive) when they are given.
func (w *world) count(ctx context.Context, pk, from, until string) (int, error) {
	kc, vals := "pk = :pk", map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}
	switch {
	case from != "" && until != "":
		kc += " AND sk BETWEEN :from AND :until"
		vals[":from"], vals[":until"] = &types.AttributeValueMemberS{Value: from}, &types.AttributeValueMemberS{Value: until}
	case from != "":
		kc += " AND sk >= :from"
		vals[":from"] = &types.AttributeValueMemberS{Value: from}
	case until != "":
		kc += " AND sk < :until"
		vals[":until"] = &types.AttributeValueMemberS{Value: until}
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(st.Info.DynamoDB.Table), KeyConditionExpression: aws.String(kc),
		ExpressionAttributeValues: vals, ConsistentRead: aws.Bool(true), Select: types.SelectCount,
	}
	n := 0
	if err := w.queryPages(ctx, in, "count "+pk, func(res *dynamodb.QueryOutput) { n += int(res.Count) }); err != nil {
		return 0, err
	}
	return n, nil
}

// newMail reads the e-mails that arrived since the last call. The emulator
// keeps every e-mail of the seed (it is cleared when a seed begins); it is
// asked only for those of the last seconds.
func (w *world) newMail() ([]emulators.Email, error) {
	since := w.mailSince.Add(-2 * time.Second).Unix()
	res, err := http.Get(st.Info.SES.Endpoint + "/store?since=" + strconv.FormatInt(since, 10))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var store struct {
		Emails []emulators.Email `json:"emails"`
	}
	if err := json.NewDecoder(res.Body).Decode(&store); err != nil {
		return nil, err
	}
	var out []emulators.Email
	for _, e := range store.Emails {
		if !w.mailSeen[e.MessageID] {
			w.mailSeen[e.MessageID] = true
			out = append(out, e)
		}
	}
	w.mailSince = time.Now()
	return out, nil
}

func clearMailbox() error {
	res, err := http.Post(st.Info.SES.Endpoint+"/clear-store", "application/json", nil)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("clear the mailbox: %s", res.Status)
	}
	return nil
}

var tokenInLink = regexp.MustCompile(`/accept-invitation#token=([A-Za-z0-9_-]{43})\b`)

func tokenOf(e emulators.Email) string {
	if m := tokenInLink.FindStringSubmatch(e.Body.Text); m != nil {
		return m[1]
	}
	return ""
}

func mailKind(e emulators.Email) string {
	if strings.HasPrefix(e.Subject, "Reminder") || strings.HasPrefix(e.Subject, "Herinnering") {
		return "reminder"
	}
	return "invitation"
}

func str(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// canonical writes an item as sorted JSON, for comparing and printing.
func canonical(it map[string]types.AttributeValue) string {
	var v map[string]any
	if err := attributevalue.UnmarshalMap(it, &v); err != nil {
		return fmt.Sprintf("undecodable item: %v", err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// diff lists what differs between two snapshots: every item, user, e-mail
// and audit event. A refused or failed step must leave none.
func diff(a, b *snapshot, ignore func(key string) bool) []string {
	var out []string
	keys := map[string]bool{}
	for k := range a.items {
		keys[k] = true
	}
	for k := range b.items {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if ignore != nil && ignore(k) {
			continue
		}
		if (a.watched[k] || b.watched[k]) && !(a.watched[k] && b.watched[k]) {
			continue // read by one snapshot only
		}
		if pk, _, _ := strings.Cut(k, "|"); (a.parts[pk] || b.parts[pk]) && !(a.parts[pk] && b.parts[pk]) {
			continue
		}
		x, inA := a.items[k]
		y, inB := b.items[k]
		switch {
		case inA && !inB:
			out = append(out, "item removed: "+k+" "+canonical(x))
		case !inA && inB:
			out = append(out, "item added: "+k+" "+canonical(y))
		case canonical(x) != canonical(y):
			out = append(out, "item changed: "+k+"\n      before "+canonical(x)+"\n      after  "+canonical(y))
		}
	}
	for sub, u := range a.users {
		v, found := b.users[sub]
		switch {
		case !found:
			out = append(out, fmt.Sprintf("Cognito user removed: %s (%s)", u.Email, sub))
		case u != v:
			out = append(out, fmt.Sprintf("Cognito user changed: %+v → %+v", u, v))
		}
	}
	for sub, u := range b.users {
		if _, found := a.users[sub]; !found {
			out = append(out, fmt.Sprintf("Cognito user added: %s (%s)", u.Email, sub))
		}
	}
	for id, name := range a.clients {
		if _, found := b.clients[id]; !found {
			out = append(out, fmt.Sprintf("app client removed: %s (%s)", name, id))
		} else if a.branded[id] != b.branded[id] {
			out = append(out, fmt.Sprintf("app client %s (%s) branded: %v → %v", name, id, a.branded[id], b.branded[id]))
		}
	}
	for id, name := range b.clients {
		if _, found := a.clients[id]; !found {
			out = append(out, fmt.Sprintf("app client added: %s (%s)", name, id))
		}
	}
	for _, e := range b.mails {
		out = append(out, fmt.Sprintf("e-mail sent to %v: %q", e.Destination.To, e.Subject))
	}
	for sc, n := range b.audit {
		if a.audit[sc] != n {
			out = append(out, fmt.Sprintf("audit events of %s: %d → %d", scopeKey(sc), a.audit[sc], n))
		}
	}
	return out
}

// memberItem decodes a member item as the store writes it.
type memberItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	domain.Member
}

func decodeMember(it map[string]types.AttributeValue) (domain.Member, error) {
	var mi memberItem
	err := attributevalue.UnmarshalMap(it, &mi)
	return mi.Member, err
}

// subOfToken reads the sub of an access token (the test trusts its own
// emulator; the gateway checks signatures).
func subOfToken(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Sub string `json:"sub"`
	}
	_ = json.Unmarshal(b, &c)
	return c.Sub
}

// signIn signs in through cognito-local as a browser would.
func (w *world) signIn(email, password string) (string, error) {
	out, err := w.cog.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: aws.String(st.Info.Cognito.ClientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.AuthenticationResult.AccessToken), nil
}
