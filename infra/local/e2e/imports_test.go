package e2e

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/portalaccess/portalaccess/infra/local/testkit"
	"github.com/portalaccess/portalaccess/shared/domain"
)

type importView = testkit.Import

type dryRun struct {
	Total  int `json:"total"`
	Counts struct {
		Invite        int `json:"invite"`
		AlreadyMember int `json:"alreadyMember"`
		Invalid       int `json:"invalid"`
	} `json:"counts"`
	Rows []struct {
		Row     int    `json:"row"`
		Email   string `json:"email"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	} `json:"rows"`
}

// importFile is a CSV file of n new people at a domain of their own, with
// one row of an existing member, one invalid e-mail and one duplicate.
func importFile(n int, existing string) ([]byte, []string) {
	tag := unique("imp")
	var b strings.Builder
	b.WriteString("email,name,admin,roles,sendInvitation\r\n")
	var emails []string
	for i := range n {
		e := fmt.Sprintf("%s-%05d@import.example", tag, i)
		emails = append(emails, e)
		fmt.Fprintf(&b, "%s,Person %d,no,Buyer,\r\n", e, i)
	}
	fmt.Fprintf(&b, "%s,,,,\r\nnot an address,,,,\r\n%s,Again,,,\r\n", existing, emails[0])
	return []byte(b.String()), emails
}

func (c *client) upload(path string, body []byte, status int) *response {
	c.t.Helper()
	return c.expect(c.call("POST", path, body, "Content-Type", "text/csv"), status)
}

// awaitImport reads the import until every row has its outcome (a bound
// only against a hang; nothing is asserted about the time).
func (c *client) awaitImport(path string, limit time.Duration) importView {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var v importView
		c.get(path, 200).json(c.t, &v)
		if v.State == "done" {
			return v
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the import did not finish: %+v", v)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func deadLetters(t testing.TB) int {
	t.Helper()
	out, err := st.SQS.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(st.Info.Queues.ImportsDead),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	return n
}

// runImport dry-runs a file of n new rows, runs it, kills the consumer
// half-way (rows invited, chunks unrecorded, messages undeleted) and
// starts a new one, then checks that every row is accounted for once and
// that the e-mails sent equal the rows invited. It returns the wall time
// from the upload to the end and the send rate held.
func runImport(t *testing.T, n int) (time.Duration, float64) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	existing := uniqueEmail("member")
	op.invite(cu.ID, map[string]any{"email": existing})
	op.newRoles(cu.ID, "Buyer") // the rows' role, from the customer's catalogue
	body, emails := importFile(n, existing)
	base := "/v1/customers/" + cu.ID + "/imports"
	users := "/v1/customers/" + cu.ID + "/users"
	before := op.counts(users)
	mailsBefore := len(mailbox(t))

	var dry dryRun
	op.upload(base+"?dryRun=true", body, 200).json(t, &dry)
	if dry.Total != n+3 || dry.Counts.Invite != n || dry.Counts.AlreadyMember != 1 || dry.Counts.Invalid != 2 {
		t.Fatalf("dry run: total %d, %+v", dry.Total, dry.Counts)
	}
	if dry.Rows[n+1].Reason != "invalid_email" || dry.Rows[n+2].Reason != "duplicate_row" {
		t.Fatalf("dry run's reasons: %+v %+v", dry.Rows[n+1], dry.Rows[n+2])
	}
	if len(mailbox(t)) != mailsBefore || op.counts(users) != before {
		t.Fatal("the dry run changed something")
	}

	// Kill the consumer once half the rows have been asked for: the rows
	// under way finish, no new one starts, nothing of those chunks is
	// recorded and their messages stay on the queue.
	var asked atomic.Int64
	var stopped atomic.Bool
	killed := make(chan struct{})
	var once sync.Once
	st.Imports.Interrupt = func() bool {
		if stopped.Load() {
			return true
		}
		if asked.Add(1) > int64(n/2) {
			stopped.Store(true)
			once.Do(func() { close(killed) })
			return true
		}
		return false
	}
	defer func() { st.Imports.Interrupt = nil }()
	start := time.Now()
	var imp importView
	r := op.upload(base, body, 202)
	r.json(t, &imp)
	loc := r.Header.Get("Location")
	if loc != base+"/"+imp.ID || imp.Total != n+3 || imp.Counts.Invalid != 2 {
		t.Fatalf("accepted: %s %+v", loc, imp)
	}
	select {
	case <-killed:
	case <-time.After(30 * time.Minute): // a bound against a hang only
		t.Fatal("the consumer never got half-way")
	}
	st.KillConsumer()
	var mid importView
	op.get(loc, 200).json(t, &mid)
	if mid.State != "running" {
		t.Fatalf("done before the kill: %+v", mid)
	}
	st.Imports.Interrupt = nil
	st.RestartConsumer()
	done := op.awaitImport(loc, 30*time.Minute)
	wall := time.Since(start)
	op.expect(op.call("GET", loc+"/outcomes", nil, "Accept", "text/csv"), 200)

	if done.Total != n+3 || done.Done != n+3 || done.Counts.Invited != dry.Counts.Invite ||
		done.Counts.AlreadyMember != dry.Counts.AlreadyMember || done.Counts.Invalid != dry.Counts.Invalid {
		t.Fatalf("finished: %+v, the dry run said %+v", done, dry.Counts)
	}
	// Every row once, in order, with its outcome.
	res := op.get(loc+"/outcomes", 200)
	rows, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
	if err != nil || len(rows) != n+4 || strings.Join(rows[0], ",") != "row,email,outcome,reason,userId" {
		t.Fatalf("outcomes: %d rows, %v", len(rows), err)
	}
	invited := 0
	for i, row := range rows[1:] {
		if row[0] != strconv.Itoa(i+1) {
			t.Fatalf("row %d numbered %s", i+1, row[0])
		}
		if row[2] == "invited" {
			invited++
		}
	}
	if invited != n {
		t.Fatalf("%d rows invited, want %d", invited, n)
	}
	// Nobody invited twice, and the e-mails sent equal the rows invited.
	byAddr := map[string]int{}
	for _, m := range mailbox(t) {
		for _, to := range m.Destination.To {
			if strings.HasSuffix(to, "@import.example") {
				byAddr[to]++
			}
		}
	}
	sent := 0
	for _, e := range emails {
		if byAddr[e] != 1 {
			m, err := st.Store.MemberByEmail(t.Context(), domainScope(cu.ID), e)
			t.Fatalf("%s got %d e-mails: %+v %v", e, byAddr[e], m.Invitation, err)
		}
		sent++
	}
	if sent != done.Counts.Invited {
		t.Fatalf("%d e-mails for %d rows invited", sent, done.Counts.Invited)
	}
	if got := op.counts(users); got.Unconfirmed != before.Unconfirmed+n {
		t.Fatalf("unconfirmed %d, want %d", got.Unconfirmed, before.Unconfirmed+n)
	}
	if d := deadLetters(t); d != 0 {
		t.Fatalf("%d messages in the dead-letter queue", d)
	}
	return wall, float64(n) / wall.Seconds()
}

// An import on the local stack, through the queue and the import-users
// consumer's own code: the dry run's counts are the job's, a consumer
// killed half-way and started again invites nobody twice, every row is
// accounted for once, and the e-mails sent equal the rows invited.
func TestImportJobKilledHalfWay(t *testing.T) {
	wall, rate := runImport(t, 300)
	t.Logf("300 rows in %s (%.1f invitations a second, IMPORT_SEND_RATE %d)", wall.Round(time.Millisecond), rate, st.Config.ImportSendRate)
}

func domainScope(id string) domain.Scope { return domain.CustomerScope(id) }
