package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// An import is written with its chunks in their customer; a chunk is
// recorded once, its counts added to the import's, which is finished when
// every row has its outcome; chunks are read in order; an offboarding's
// sweep of the partition takes the import with it.
func testImports(t *testing.T, w *world) {
	c := w.customer("Acme")
	imp := domain.Import{ID: domain.NewID(domain.PrefixImport), CustomerID: c.ID, Total: 3, Chunks: 2,
		Counts: domain.ImportCounts{Invalid: 1}, RequestedBy: domain.SystemActor, RequestedBySub: "sub", CreatedAt: w.now, UpdatedAt: w.now}
	chunks := []domain.ImportChunk{
		{N: 0, Rows: []domain.ImportRow{{N: 1, Email: "a@acme.example"}, {N: 2, Email: "x", Outcome: domain.OutcomeInvalid, Reason: "invalid_email"}}},
		{N: 1, Rows: []domain.ImportRow{{N: 3, Email: "b@acme.example", Roles: []string{"Buyer"}}}},
	}
	noErr(t, w.s.CreateImport(w.ctx(), state.NewImport{Import: imp, Chunks: chunks}), "create")
	if err := w.s.CreateImport(w.ctx(), state.NewImport{Import: domain.Import{ID: domain.NewID(domain.PrefixImport), CustomerID: "cus_nobody", Total: 1, CreatedAt: w.now}}); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("an import of no customer: %v", err)
	}
	got, err := w.s.Import(w.ctx(), c.ID, imp.ID)
	noErr(t, err, "read")
	if got.Total != 3 || got.Counts.Invalid != 1 || got.Done() || got.FinishedAt != nil || got.Queued {
		t.Fatalf("%+v", got)
	}
	if _, err := w.s.Import(w.ctx(), w.customer("Other").ID, imp.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("another customer's import: %v", err)
	}
	due := func(at time.Time) []state.Due {
		p, err := w.s.DueBy(w.ctx(), state.DueImport, at, 10, nil)
		noErr(t, err, "due imports")
		return p.Items
	}
	if d := due(w.now); len(d) != 0 {
		t.Fatalf("due before its grace: %+v", d)
	}
	if d := due(w.now.Add(state.ImportQueueGrace)); len(d) != 1 || d[0].ImportID != imp.ID || d[0].Scope != c.Scope() {
		t.Fatalf("due: %+v", d)
	}
	noErr(t, w.s.MarkImportQueued(w.ctx(), c.ID, imp.ID), "queued")
	if d := due(w.now.Add(time.Hour)); len(d) != 0 {
		t.Fatalf("due once queued: %+v", d)
	}
	ch, err := w.s.ImportChunk(w.ctx(), c.ID, imp.ID, 1)
	noErr(t, err, "chunk")
	if ch.Done || len(ch.Rows) != 1 || ch.Rows[0].Roles[0] != "Buyer" {
		t.Fatalf("%+v", ch)
	}
	ch.Rows[0].Outcome, ch.Rows[0].UserID = domain.OutcomeInvited, "usr_b"
	d := state.ChunkDone{CustomerID: c.ID, ImportID: imp.ID, Chunk: ch, Counts: domain.ImportCounts{Invited: 1}, Now: w.now}
	noErr(t, w.s.RecordChunk(w.ctx(), d), "record")
	if err := w.s.RecordChunk(w.ctx(), d); !errors.Is(err, state.ErrStale) {
		t.Fatalf("recorded twice: %v", err)
	}
	first := chunks[0]
	first.Rows[0].Outcome = domain.OutcomeAlreadyMember
	noErr(t, w.s.RecordChunk(w.ctx(), state.ChunkDone{CustomerID: c.ID, ImportID: imp.ID, Chunk: first, Counts: domain.ImportCounts{AlreadyMember: 1}, Now: w.now}), "record the first")
	got, _ = w.s.Import(w.ctx(), c.ID, imp.ID)
	if got.Counts != (domain.ImportCounts{Invited: 1, AlreadyMember: 1, Invalid: 1}) || !got.Done() || got.FinishedAt == nil || !got.Queued {
		t.Fatalf("%+v", got)
	}
	all, err := w.s.ImportChunks(w.ctx(), c.ID, imp.ID)
	noErr(t, err, "chunks")
	var seen string
	for _, ch := range all {
		for _, r := range ch.Rows {
			seen += fmt.Sprintf("%d:%s ", r.N, r.Outcome)
		}
	}
	if len(all) != 2 || !all[0].Done || !all[1].Done || seen != "1:already_member 2:invalid 3:invited " {
		t.Fatalf("%q", seen)
	}
	n, err := w.s.DeleteCustomerRecords(w.ctx(), c.ID, 100)
	noErr(t, err, "offboarding's records")
	if _, err := w.s.Import(w.ctx(), c.ID, imp.ID); n < 3 || !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("%d records deleted; the import: %v", n, err)
	}
	if all, _ := w.s.ImportChunks(w.ctx(), c.ID, imp.ID); len(all) != 0 {
		t.Fatalf("chunks left: %d", len(all))
	}
}

// The e-mails of a customer's members, for a dry run.
func testCustomerEmails(t *testing.T, w *world) {
	c := w.customer("Acme")
	a, _ := w.invited(c.Scope(), "a@acme.example")
	w.create(a)
	w.create(w.enabled(c.Scope(), "b@acme.example", false))
	o, _ := w.invited(w.customer("Other").Scope(), "c@acme.example")
	w.create(o)
	got, err := w.s.CustomerEmails(w.ctx(), c.ID)
	noErr(t, err, "read")
	if len(got) != 2 || !got["a@acme.example"] || !got["b@acme.example"] {
		t.Fatalf("%v", got)
	}
}

// A chunk item over DynamoDB's 400 KB is refused, and the import is not
// there; one well under it is taken (the imports service keeps chunks near
// 200 KB).
func testImportChunkTooLarge(t *testing.T, w *world) {
	c := w.customer("Acme")
	rows := func(kb int) []domain.ImportRow {
		var out []domain.ImportRow
		for i := 0; i < kb; i++ {
			out = append(out, domain.ImportRow{N: i + 1, Email: strings.Repeat("x", 1000), Outcome: domain.OutcomeInvalid, Reason: "email_invalid"})
		}
		return out
	}
	imp := func() domain.Import {
		return domain.Import{ID: domain.NewID(domain.PrefixImport), CustomerID: c.ID, Total: 1, Chunks: 1,
			RequestedBy: domain.SystemActor, RequestedBySub: "sub", CreatedAt: w.now, UpdatedAt: w.now}
	}
	big := imp()
	if err := w.s.CreateImport(w.ctx(), state.NewImport{Import: big, Chunks: []domain.ImportChunk{{N: 0, Rows: rows(420), Done: true}}}); err == nil {
		t.Fatal("a chunk item over 400 KB was taken")
	}
	if _, err := w.s.Import(w.ctx(), c.ID, big.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("the refused import: %v", err)
	}
	ok := imp()
	noErr(t, w.s.CreateImport(w.ctx(), state.NewImport{Import: ok, Chunks: []domain.ImportChunk{{N: 0, Rows: rows(250), Done: true}}}), "a 250 KB chunk")
}
