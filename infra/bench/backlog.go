package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/faults"
	"github.com/portalaccess/portalaccess/infra/local/provision"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/app/sweep"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/identity/memidentity"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// opMeter counts the read capacity the store reports, by operation.
type opMeter struct {
	mu    sync.Mutex
	units map[string]float64
}

func (m *opMeter) Add(op string, units float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.units == nil {
		m.units = map[string]float64{}
	}
	m.units[op] += units
}

// Take returns what was counted since the last Take, by operation.
func (m *opMeter) Take() map[string]float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.units
	m.units = nil
	return u
}

func sum(u map[string]float64) float64 {
	t := 0.0
	for _, v := range u {
		t += v
	}
	return t
}

// readUnits is the read capacity of what a Take counted: DynamoDB Local
// reports the transactions' capacity too, in write units.
func readUnits(u map[string]float64) float64 { return sum(u) - u["TransactWriteItems"] }

// A backlog kind: what is seeded, and what the sweep's report counts of it.
type backlogKind struct {
	name string
	seed func(ctx context.Context, db *dynamodb.Client, st *store.Store, table string, n int, now time.Time, ids *memidentity.Pool) error
	done func(sweep.Report) int
}

var (
	dueInvitations = backlogKind{"due invitations", func(ctx context.Context, db *dynamodb.Client, st *store.Store, table string, n int, now time.Time, _ *memidentity.Pool) error {
		return seedDue(ctx, db, st, table, n, now)
	}, func(r sweep.Report) int { return r.Expired }}
	accessPassed = backlogKind{"members whose accessUntil passed", seedAccess, func(r sweep.Report) int { return r.AccessEnded }}
)

// perItem is one backlog's figures per item, the ones that must not grow
// with the backlog: a run that read finished work again would show here.
type perItem struct {
	n                    int
	rcu, wcu, reads, all float64
}

// backlog writes each backlog straight into DynamoDB Local (the items the
// store's CreateMember writes, through BatchWriteItem), then drains it with
// the sweep in runs bounded as the function bounds them (its timeout less
// 5 s), as many runs as it takes, and prints the rate, the capacity and the
// reads per item, and the number of runs. The figures per item must be the
// same at every size (within 5%): the sweep reads each item once, and no
// run reads finished work again.
func backlog(due, access []int, bound time.Duration) error {
	ctx := context.Background()
	em, err := emulators.Start(ctx, emulators.Options{Only: []string{"dynamodb"}})
	if err != nil {
		return err
	}
	defer em.Stop()
	calls := faults.New()
	db := dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("l", "l", ""),
		APIOptions: []func(*middleware.Stack) error{calls.APIOption}},
		func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(em.DynamoURL) })
	k := 0
	for _, b := range []struct {
		kind backlogKind
		ns   []int
	}{{dueInvitations, due}, {accessPassed, access}} {
		if len(b.ns) == 0 {
			continue
		}
		fmt.Printf("\n## The sweep against a backlog of %s (DynamoDB Local)\n", b.kind.name)
		fmt.Printf("| items | seeded in | runs (bound %s) | items/s | RCU per item | of it the members' reads | of it the due index | WCU per item (transactions) | reads per item | writes per item | calls per item | first page of the due index (100 items) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n", bound)
		var figs []perItem
		for _, n := range b.ns {
			k++
			f, err := drain(ctx, db, calls, fmt.Sprintf("backlog%d", k), b.kind, n, bound)
			if err != nil {
				return err
			}
			figs = append(figs, f)
		}
		if err := flat(figs); err != nil {
			return fmt.Errorf("%s: %w", b.kind.name, err)
		}
		if len(figs) > 1 {
			fmt.Printf("reads, calls, RCU and WCU per item flat from %d to %d (within 5%%)\n", figs[0].n, figs[len(figs)-1].n)
		}
	}
	return nil
}

// flat checks that the figures per item do not grow with the backlog.
func flat(figs []perItem) error {
	for _, f := range figs[1:] {
		for _, c := range []struct {
			what      string
			got, base float64
		}{{"reads per item", f.reads, figs[0].reads}, {"calls per item", f.all, figs[0].all}, {"RCU per item", f.rcu, figs[0].rcu}, {"WCU per item", f.wcu, figs[0].wcu}} {
			if math.Abs(c.got-c.base) > 0.05*c.base {
				return fmt.Errorf("%s: %.3f at %d, %.3f at %d: the sweep read more per item as the backlog grew", c.what, c.got, f.n, c.base, figs[0].n)
			}
		}
	}
	return nil
}

func drain(ctx context.Context, db *dynamodb.Client, calls *faults.Injector, table string, kind backlogKind, n int, bound time.Duration) (perItem, error) {
	if err := provision.Table(ctx, db, table); err != nil {
		return perItem{}, err
	}
	// Without the table's stream: DynamoDB Local looks the stream up on
	// every write (getStreamDescription, in a thread dump), and that grew
	// slow enough in a long run to bring the seeding of 10,000 members
	// down to about 50 items a second. The bench measures the table.
	if _, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		return perItem{}, err
	}
	var reads opMeter
	st := store.New(db, table)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	ids := memidentity.New()
	t0 := time.Now()
	if err := kind.seed(ctx, db, st, table, n, now, ids); err != nil {
		return perItem{}, err
	}
	seeded := time.Since(t0)
	// The migration of the counts is done in a table the product wrote
	// from its first day; this one was written past the store.
	if _, err := st.BackfillCounts(ctx, math.MaxInt32); err != nil {
		return perItem{}, err
	}
	st.Capacity = reads.Add // what the reads and the transactions consumed
	// One page of the due index, alone: what DynamoDB Local reports for it.
	kinds := map[string]state.DueKind{dueInvitations.name: state.DueExpiry, accessPassed.name: state.DueAccess}
	if _, err := st.DueBy(ctx, kinds[kind.name], now, 100, nil); err != nil {
		return perItem{}, err
	}
	firstPage := sum(reads.Take())
	env := app.Env{Config: config.Config{InvitationTTL: config.DefaultInvitationTTL, OperatorMFAOff: true}, Store: st,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	if kind.name == accessPassed.name {
		env.Identity = ids
	}
	sweeper := env.Sweeper()
	calls.Record()
	runs, done, failed := 0, 0, 0
	t1 := time.Now()
	for {
		rep, err := sweeper.Run(ctx, bound)
		if err != nil {
			return perItem{}, err
		}
		runs++
		done += kind.done(rep)
		failed += rep.Failed + rep.Skipped
		if !rep.More {
			break
		}
	}
	took := time.Since(t1)
	var nReads, nWrites, nCalls int
	for _, c := range calls.Calls() {
		nCalls++
		switch c.Name[strings.LastIndex(c.Name, ".")+1:] {
		case "GetItem", "Query", "BatchGetItem":
			nReads++
		default:
			nWrites++
		}
	}
	if done != n || failed != 0 {
		return perItem{}, fmt.Errorf("backlog of %d %s: the sweep finished %d, skipped or failed %d", n, kind.name, done, failed)
	}
	units := reads.Take()
	// A last run finds nothing: finished work is out of the due index.
	calls.Record()
	if rep, err := sweeper.Run(ctx, bound); err != nil || kind.done(rep) != 0 {
		return perItem{}, fmt.Errorf("a run after the backlog was drained: %+v, %v", rep, err)
	}
	after := len(calls.Calls())
	wcu := units["TransactWriteItems"]
	f := perItem{n: n, rcu: readUnits(units) / float64(n), wcu: wcu / float64(n), reads: float64(nReads) / float64(n), all: float64(nCalls) / float64(n)}
	fmt.Printf("| %d | %.1f s | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f RCU |\n", n, seeded.Seconds(), runs, float64(n)/took.Seconds(),
		f.rcu, units["GetItem"]/float64(n), units["Query"]/float64(n), f.wcu, f.reads, float64(nWrites)/float64(n), f.all, firstPage)
	extra := ""
	if kind.name == accessPassed.name {
		disabled := 0
		for _, id := range ids.All() {
			if !id.Enabled {
				disabled++
			}
		}
		extra = fmt.Sprintf("; %d of %d identities disabled", disabled, n)
	}
	var byOp []string
	for op, u := range units {
		byOp = append(byOp, fmt.Sprintf("%s %.2f", op, u/float64(n)))
	}
	sort.Strings(byOp)
	fmt.Printf("(drained in %.1f s; capacity per item by call: %s; a run after it made %d calls and found nothing due%s)\n", took.Seconds(), strings.Join(byOp, ", "), after, extra)
	return f, nil
}

// seedDue writes n pending invitations past their expiry, spread over 100
// customers.
func seedDue(ctx context.Context, db *dynamodb.Client, st *store.Store, table string, n int, now time.Time) error {
	customers := someCustomers()
	var items []map[string]types.AttributeValue
	for i := range n {
		_, hash := domain.NewToken()
		m := domain.Member{ID: domain.NewID(domain.PrefixUser), CustomerID: customers[i%len(customers)],
			Email: fmt.Sprintf("due%07d@acme.example", i), Name: "x", Status: domain.StatusUnconfirmed, Version: 1, CreatedAt: now, UpdatedAt: now,
			Invitation: &domain.Invitation{State: domain.InvitationPending, TokenHash: hash, ExpiresAt: now.Add(-time.Minute), Delivery: domain.DeliverySent}}
		its, err := st.MemberItems(state.NewMember{Member: m, Event: domain.NewEvent(now, domain.SystemActor, "user.seeded", domain.TargetOf(&m), m.Scope())})
		if err != nil {
			return err
		}
		items = append(items, its...)
	}
	return batchPut(ctx, db, table, items)
}

// seedAccess writes n enabled members, each with its own sign-in identity
// (in an in-memory pool: the bench measures the table, and counts what the
// sweep asks of the identities), whose accessUntil passed a minute ago,
// spread over 100 customers, each of which keeps an admin.
func seedAccess(ctx context.Context, db *dynamodb.Client, st *store.Store, table string, n int, now time.Time, ids *memidentity.Pool) error {
	customers := someCustomers()
	until := now.Add(-time.Minute)
	var items []map[string]types.AttributeValue
	for i := range n + len(customers) {
		m := domain.Member{ID: domain.NewID(domain.PrefixUser), CustomerID: customers[i%len(customers)], Name: "x",
			Status: domain.StatusEnabled, Version: 1, CreatedAt: now, UpdatedAt: now}
		if i < len(customers) {
			m.Email, m.Admin = fmt.Sprintf("admin%03d@acme.example", i), true // no accessUntil
		} else {
			m.Email, m.AccessUntil = fmt.Sprintf("until%07d@acme.example", i), &until
		}
		id, err := ids.Create(ctx, m.Email, "Bench-passw0rd!")
		if err != nil {
			return err
		}
		m.Sub = id.Sub
		its, err := st.MemberItems(state.NewMember{Member: m, Event: domain.NewEvent(now, domain.SystemActor, "user.seeded", domain.TargetOf(&m), m.Scope())})
		if err != nil {
			return err
		}
		items = append(items, its...)
	}
	return batchPut(ctx, db, table, items)
}

func someCustomers() []string {
	var customers []string
	for range 100 {
		customers = append(customers, domain.NewID(domain.PrefixCustomer))
	}
	return customers
}

// batchPut puts items as BatchWriteItem requests of 25, 8 at once.
func batchPut(ctx context.Context, db *dynamodb.Client, table string, items []map[string]types.AttributeValue) error {
	return testkit.PutItems(ctx, db, table, items, 8)
}
