// Package imports brings a customer's people in from a CSV file, up to
// 10,000 rows. A dry run answers what each row would do and changes
// nothing. A real one is a job: its rows are checked and written in chunks
// of at most 50 beside the import (one transaction per few megabytes, the
// import last, so it exists only once all its rows do), and each chunk
// that has work left is put on a queue after that commit. A consumer works
// a chunk's rows at a bounded send rate, each row invited as a bulk
// invite's row is (the customer's policy, its seat limit, the invitation
// rate limit), and records the chunk's outcomes and counts in one
// transaction, once. A row's member carries the row's name (the import's id
// and the row's number), so a chunk worked again after a crash or a
// redelivered message recognises the members it made and invites nobody
// twice.
package imports

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is what imports read and write.
type Store interface {
	CreateImport(ctx context.Context, ni state.NewImport) error
	Import(ctx context.Context, customerID, id string) (domain.Import, error)
	ImportChunk(ctx context.Context, customerID, id string, n int) (domain.ImportChunk, error)
	ImportChunks(ctx context.Context, customerID, id string) ([]domain.ImportChunk, error)
	RecordChunk(ctx context.Context, d state.ChunkDone) error
	MarkImportQueued(ctx context.Context, customerID, id string) error
	CustomerEmails(ctx context.Context, customerID string) (map[string]bool, error)
}

// Queue takes the messages that name the chunks to work.
type Queue interface {
	Send(ctx context.Context, bodies []string) error
}

// Message names one chunk of an import: the body of a queue message.
type Message struct {
	CustomerID string `json:"customerId"`
	ImportID   string `json:"importId"`
	Chunk      int    `json:"chunk"`
}

// Service runs imports.
type Service struct {
	Store   Store
	Members *members.Service
	Access  *access.Resolver
	// Queue is nil in functions that only read imports.
	Queue Queue
	// Pacer holds the invitation e-mails of this consumer to their share
	// of the send rate; nil sends at once.
	Pacer *Pacer
	// Workers is how many rows of a chunk are worked at once (default 1:
	// every row's transaction updates the customer's counts and seats, one
	// item, so rows of one customer at once only conflict; the chunks
	// worked at once, IMPORT_CONCURRENCY, are the parallelism).
	Workers int
	Log     *slog.Logger
	Now     func() time.Time
	// Interrupt, when set (tests), is asked before each row is worked:
	// true stops the chunk there, unrecorded, as a crash of the consumer
	// would.
	Interrupt func() bool
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// ErrInterrupted: the chunk was stopped by Interrupt.
var ErrInterrupted = errors.New("imports: the chunk was interrupted")

// Report is a dry run's answer: each row's outcome had it run now.
type Report struct {
	Total  int                `json:"total"`
	Counts DryCounts          `json:"counts"`
	Rows   []domain.ImportRow `json:"-"`
}

// DryCounts are a dry run's rows by outcome.
type DryCounts struct {
	Invite        int `json:"invite"`
	AlreadyMember int `json:"alreadyMember"`
	Invalid       int `json:"invalid"`
}

// checkRows parses the file and checks each row against the scope, as the
// job will: invalid rows get their outcome, and a row whose e-mail an
// earlier row has is invalid as a duplicate.
func (s *Service) checkRows(ctx context.Context, c *access.Caller, sc members.Scope, body []byte) ([]domain.ImportRow, error) {
	rows, err := Parse(body)
	if err != nil {
		return nil, err
	}
	if namesRoles(rows) {
		// Roles are names of the customer's catalogue: read it (one Query).
		if err := s.Members.LoadRoles(ctx, sc); err != nil {
			return nil, err
		}
	}
	first := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		if r.Outcome != "" {
			continue
		}
		sc.CheckImportRow(c, r)
		if r.Outcome != "" {
			continue
		}
		if first[r.Email] {
			r.Outcome, r.Reason = domain.OutcomeInvalid, "duplicate_row"
			continue
		}
		first[r.Email] = true
	}
	for i := range rows {
		if rows[i].Outcome != "" {
			keepShort(&rows[i])
		}
	}
	return rows, nil
}

// MaxEchoedEmail is the most bytes of an invalid row's raw e-mail that an
// import keeps, stores and answers (dry run, outcomes): enough to find the
// row, and the answers of the largest file stay far below Lambda's 6 MB.
const MaxEchoedEmail = 32

// keepShort bounds what a row refused at upload keeps: no roles or portal
// ids (it is never invited), a short name, and a short prefix of an e-mail
// that is not an address.
func keepShort(r *domain.ImportRow) {
	r.Roles, r.PortalIDs = nil, nil
	r.Name = truncate(r.Name, MaxEchoedEmail)
	if _, code := domain.NormalizeEmail(r.Email); code != "" {
		r.Email = truncate(r.Email, MaxEchoedEmail)
	}
}

// chunkBytes bounds a chunk's rows as JSON, far below DynamoDB's 400 KB
// item: a chunk's rows grow a little when they are worked (outcome, user id).
const chunkBytes = 200 << 10

// chunkRows splits rows into chunks of at most domain.ImportChunkRows rows
// and about chunkBytes of JSON; a chunk has at least one row.
func chunkRows(rows []domain.ImportRow) [][]domain.ImportRow {
	var out [][]domain.ImportRow
	start, size := 0, 0
	for i := range rows {
		b, _ := json.Marshal(rows[i])
		n := len(b) + 1
		if i > start && (i-start >= domain.ImportChunkRows || size+n > chunkBytes) {
			out = append(out, rows[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(rows) {
		out = append(out, rows[start:])
	}
	return out
}

// DryRun answers what each row of the file would do now: invite, already a
// member, or invalid with its reason (the seat limit counted row by row).
// It changes nothing.
func (s *Service) DryRun(ctx context.Context, c *access.Caller, sc members.Scope, body []byte) (Report, error) {
	const op = "imports.DryRun"
	if err := c.RequireManager(sc.Scope); err != nil {
		return Report{}, err
	}
	if err := sc.Err(); err != nil {
		return Report{}, errs.Wrap(op, err)
	}
	rows, err := s.checkRows(ctx, c, sc, body)
	if err != nil {
		return Report{}, err
	}
	emails, err := s.Store.CustomerEmails(ctx, sc.Scope.CustomerID)
	if err != nil {
		return Report{}, errs.Wrap(op, err)
	}
	seats := sc.Seats()
	rep := Report{Total: len(rows), Rows: rows}
	for i := range rows {
		r := &rows[i]
		switch {
		case r.Outcome != "":
		case emails[r.Email]:
			r.Outcome = domain.OutcomeAlreadyMember
		case seats == 0:
			r.Outcome, r.Reason = domain.OutcomeInvalid, "seat_limit"
		default:
			r.Outcome = domain.OutcomeWouldInvite
			if seats > 0 {
				seats--
			}
		}
		switch r.Outcome {
		case domain.OutcomeWouldInvite:
			rep.Counts.Invite++
		case domain.OutcomeAlreadyMember:
			rep.Counts.AlreadyMember++
		default:
			rep.Counts.Invalid++
		}
	}
	return rep, nil
}

// Start accepts an import: its rows checked and written in chunks with the
// import (rows invalid already counted), then each chunk with work left put
// on the queue. A failure to queue after the commit is logged and left to
// the sweep, which queues the chunks of an import not marked queued.
func (s *Service) Start(ctx context.Context, c *access.Caller, sc members.Scope, body []byte) (domain.Import, error) {
	const op = "imports.Start"
	if err := c.RequireManager(sc.Scope); err != nil {
		return domain.Import{}, err
	}
	if err := sc.Err(); err != nil {
		return domain.Import{}, errs.Wrap(op, err)
	}
	if s.Queue == nil {
		return domain.Import{}, errs.Wrap(op, errors.New("no queue configured"))
	}
	rows, err := s.checkRows(ctx, c, sc, body)
	if err != nil {
		return domain.Import{}, err
	}
	now := s.now()
	imp := domain.Import{ID: domain.NewID(domain.PrefixImport), CustomerID: sc.Scope.CustomerID, Total: len(rows),
		RequestedBy: c.ActorIn(sc.Scope), RequestedBySub: c.Sub, CreatedAt: now, UpdatedAt: now}
	var chunks []domain.ImportChunk
	for _, part := range chunkRows(rows) {
		ch := domain.ImportChunk{N: len(chunks), Rows: part, Done: true}
		for _, r := range ch.Rows {
			if r.Outcome == "" {
				ch.Done = false
			} else {
				imp.Counts.Add(r.Outcome)
			}
		}
		chunks = append(chunks, ch)
	}
	imp.Chunks = len(chunks)
	if imp.Done() {
		imp.FinishedAt, imp.Queued = &now, true
	}
	ni := state.NewImport{Import: imp, Chunks: chunks}
	c.ActIn(sc.Scope, &ni.Extras)
	if err := s.Store.CreateImport(ctx, ni); err != nil {
		return domain.Import{}, errs.Wrap(op, err)
	}
	if !imp.Queued {
		if err := s.enqueue(ctx, imp, chunks); err != nil {
			s.Log.WarnContext(ctx, "import not queued; the sweep queues it", "import", imp.ID, "error", err.Error())
		} else {
			imp.Queued = true
		}
	}
	return imp, nil
}

// enqueue puts each chunk of an import with work left on the queue, then
// marks the import queued.
func (s *Service) enqueue(ctx context.Context, imp domain.Import, chunks []domain.ImportChunk) error {
	var bodies []string
	for _, ch := range chunks {
		if ch.Done {
			continue
		}
		b, err := json.Marshal(Message{CustomerID: imp.CustomerID, ImportID: imp.ID, Chunk: ch.N})
		if err != nil {
			return err
		}
		bodies = append(bodies, string(b))
	}
	if err := s.Queue.Send(ctx, bodies); err != nil {
		return err
	}
	return s.Store.MarkImportQueued(ctx, imp.CustomerID, imp.ID)
}

// Requeue queues the chunks of an import that a crash left unqueued (the
// sweep). Chunks queued twice are worked once: their recording is.
func (s *Service) Requeue(ctx context.Context, customerID, id string) error {
	imp, err := s.Store.Import(ctx, customerID, id)
	if err != nil || imp.Queued {
		return err
	}
	chunks, err := s.Store.ImportChunks(ctx, customerID, id)
	if err != nil {
		return err
	}
	return s.enqueue(ctx, imp, chunks)
}

// Get reads an import: operators, and the customer's portal admins.
func (s *Service) Get(ctx context.Context, c *access.Caller, customerID, id string) (domain.Import, error) {
	if err := c.RequireUserManager(customerID); err != nil {
		return domain.Import{}, err
	}
	if !domain.ValidID(domain.PrefixImport, id) {
		return domain.Import{}, state.ErrNotFound
	}
	imp, err := s.Store.Import(ctx, customerID, id)
	return imp, errs.Wrap("imports.Get", err)
}

// ErrNotFinished: the outcomes are read once every row has one.
var ErrNotFinished = errs.New(errs.Conflict, "import_running")

// Outcomes reads every row of a finished import with its outcome, in the
// file's order.
func (s *Service) Outcomes(ctx context.Context, c *access.Caller, customerID, id string) (domain.Import, []domain.ImportRow, error) {
	imp, err := s.Get(ctx, c, customerID, id)
	if err != nil {
		return imp, nil, err
	}
	if !imp.Done() {
		return imp, nil, ErrNotFinished
	}
	chunks, err := s.Store.ImportChunks(ctx, customerID, id)
	if err != nil {
		return imp, nil, errs.Wrap("imports.Outcomes", err)
	}
	rows := make([]domain.ImportRow, 0, imp.Total)
	for _, ch := range chunks {
		rows = append(rows, ch.Rows...)
	}
	return imp, rows, nil
}

func (s *Service) workers() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return 1
}

// Work works one chunk named by a queue message: each row without an
// outcome invited for the person who asked (as they are now: someone no
// longer allowed gets their rows refused), then the chunk's outcomes and
// counts recorded once. An error leaves the message to be delivered again;
// the rows done meanwhile are recognised then. A chunk already recorded,
// or of an import or customer gone, is done.
func (s *Service) Work(ctx context.Context, m Message) error {
	const op = "imports.Work"
	imp, err := s.Store.Import(ctx, m.CustomerID, m.ImportID)
	if errors.Is(err, state.ErrNotFound) {
		return nil
	}
	if err != nil {
		return errs.Wrap(op, err)
	}
	ch, err := s.Store.ImportChunk(ctx, m.CustomerID, m.ImportID, m.Chunk)
	if errors.Is(err, state.ErrNotFound) || (err == nil && ch.Done) {
		return nil
	}
	if err != nil {
		return errs.Wrap(op, err)
	}
	c, err := s.Access.Acting(ctx, imp.RequestedBySub)
	if errors.Is(err, access.ErrUnauthenticated) || errors.Is(err, access.ErrMFARequired) {
		// Disabled or gone since, or an operator whose authenticator app
		// was reset: refused row by row.
		c, err = &access.Caller{Sub: imp.RequestedBySub}, nil
	}
	if err != nil {
		return errs.Wrap(op, err)
	}
	sc := s.Members.LoadScope(ctx, domain.CustomerScope(m.CustomerID))
	if errors.Is(sc.Err(), state.ErrNotFound) {
		return nil // offboarded: its partition goes, the import with it
	}
	if err := sc.Err(); err != nil {
		return errs.Wrap(op, err)
	}
	if namesRoles(ch.Rows) {
		if err := s.Members.LoadRoles(ctx, sc); err != nil { // the rows' roles are the catalogue's
			return errs.Wrap(op, err)
		}
	}
	var mu sync.Mutex
	var counts domain.ImportCounts
	var firstErr error
	sem := make(chan struct{}, s.workers())
	var wg sync.WaitGroup
	for i := range ch.Rows {
		if ch.Rows[i].Outcome != "" {
			continue
		}
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		if s.Interrupt != nil && s.Interrupt() {
			mu.Lock()
			firstErr = ErrInterrupted
			mu.Unlock()
			break
		}
		if !ch.Rows[i].Later {
			if err := s.Pacer.Wait(ctx); err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				break
			}
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r, err := s.Members.ImportRow(ctx, c, sc, ch.Rows[i], imp.ID+"#"+strconv.Itoa(ch.Rows[i].N))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			ch.Rows[i] = r
			counts.Add(r.Outcome)
		})
	}
	wg.Wait()
	if firstErr != nil {
		return errs.Wrap(op, firstErr)
	}
	err = s.Store.RecordChunk(ctx, state.ChunkDone{CustomerID: m.CustomerID, ImportID: m.ImportID, Chunk: ch, Counts: counts, Now: s.now()})
	if errors.Is(err, state.ErrStale) || errors.Is(err, state.ErrNotFound) {
		return nil // recorded by another delivery of the message, or gone
	}
	if err == nil && s.Log != nil {
		s.Log.InfoContext(ctx, "import chunk recorded", "import", m.ImportID, "chunk", m.Chunk,
			"invited", counts.Invited, "alreadyMember", counts.AlreadyMember, "invalid", counts.Invalid)
	}
	return errs.Wrap(op, err)
}

// Pacer spaces the invitation e-mails of one consumer evenly at a rate:
// its share of the send rate that the mail service allows.
type Pacer struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

// NewPacer paces at perSecond sends a second; nil for no pacing.
func NewPacer(perSecond float64) *Pacer {
	if perSecond <= 0 {
		return nil
	}
	return &Pacer{every: time.Duration(float64(time.Second) / perSecond)}
}

// Wait returns when the next send may go (or the context ends).
func (p *Pacer) Wait(ctx context.Context) error {
	if p == nil {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.every)
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// namesRoles reports whether a row names roles.
func namesRoles(rows []domain.ImportRow) bool {
	for _, r := range rows {
		if len(r.Roles) > 0 {
			return true
		}
	}
	return false
}
