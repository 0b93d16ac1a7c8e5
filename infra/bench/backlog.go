package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/sync/errgroup"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/faults"
	"github.com/portalaccess/portalaccess/infra/local/provision"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// backlog writes n due invitations straight into DynamoDB Local (the items
// the store's CreateMember writes, through BatchWriteItem), then drains them
// with the sweep in runs bounded as the function bounds them (its timeout
// less 5 s), as many runs as it takes, and prints the rate, the capacity and
// the reads per item, and the number of runs.
func backlog(ns []int, bound time.Duration) error {
	fmt.Println("\n## The sweep against a backlog of due invitations (DynamoDB Local)")
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
	fmt.Printf("| due | seeded in | runs (bound %s) | items/s | RCU per item | reads per item | writes per item | calls per item |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n", bound)
	for k, n := range ns {
		table := fmt.Sprintf("backlog%d", k)
		if err := provision.Table(ctx, db, table); err != nil {
			return err
		}
		var reads testkit.Meter
		st := store.New(db, table)
		now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		t0 := time.Now()
		if err := seedDue(ctx, db, st, table, n, now); err != nil {
			return err
		}
		seeded := time.Since(t0)
		st.Capacity = reads.Add // what the reads consumed (DynamoDB Local reports no write capacity for transactions)
		sweeper := app.Env{Config: config.Config{InvitationTTL: config.DefaultInvitationTTL}, Store: st,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}.Sweeper()
		calls.Record()
		runs, expired, failed := 0, 0, 0
		t1 := time.Now()
		for {
			rep, err := sweeper.Run(ctx, bound)
			if err != nil {
				return err
			}
			runs++
			expired += rep.Expired
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
		if expired != n || failed != 0 {
			return fmt.Errorf("backlog of %d: the sweep expired %d, skipped or failed %d", n, expired, failed)
		}
		// A last run finds nothing: finished work is out of the due index.
		calls.Record()
		if rep, err := sweeper.Run(ctx, bound); err != nil || rep.Expired != 0 {
			return fmt.Errorf("a run after the backlog was drained: %+v, %v", rep, err)
		}
		after := len(calls.Calls())
		fmt.Printf("| %d | %.1f s | %d | %.0f | %.2f | %.2f | %.2f | %.2f |\n", n, seeded.Seconds(), runs, float64(n)/took.Seconds(),
			reads.Take()/float64(n), float64(nReads)/float64(n), float64(nWrites)/float64(n), float64(nCalls)/float64(n))
		fmt.Printf("(drained in %.1f s; a run after it made %d calls and found nothing due)\n", took.Seconds(), after)
	}
	return nil
}

// seedDue writes n pending invitations past their expiry, spread over 100
// customers, as BatchWriteItem requests of 25 items, 8 at once.
func seedDue(ctx context.Context, db *dynamodb.Client, st *store.Store, table string, n int, now time.Time) error {
	var customers []string
	for range 100 {
		customers = append(customers, domain.NewID(domain.PrefixCustomer))
	}
	var items []map[string]types.AttributeValue
	for i := range n {
		_, hash := domain.NewToken()
		m := domain.Member{ID: domain.NewID(domain.PrefixUser), CustomerID: customers[i%len(customers)],
			Email: fmt.Sprintf("due%07d@acme.example", i), Name: "x", Status: domain.StatusUnconfirmed, Version: 1, CreatedAt: now, UpdatedAt: now,
			Invitation: &domain.Invitation{State: domain.InvitationPending, TokenHash: hash, ExpiresAt: now.Add(-time.Minute), Delivery: domain.DeliverySent}}
		ev := domain.NewEvent(now, domain.SystemActor, "user.seeded", domain.TargetOf(&m), m.Scope())
		its, err := st.MemberItems(state.NewMember{Member: m, Event: ev})
		if err != nil {
			return err
		}
		items = append(items, its...)
	}
	var g errgroup.Group
	g.SetLimit(8)
	for len(items) > 0 {
		batch := items[:min(25, len(items))]
		items = items[len(batch):]
		g.Go(func() error {
			req := map[string][]types.WriteRequest{}
			for _, it := range batch {
				req[table] = append(req[table], types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
			}
			for len(req) > 0 {
				out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
				if err != nil {
					return err
				}
				req = out.UnprocessedItems
			}
			return nil
		})
	}
	return g.Wait()
}
