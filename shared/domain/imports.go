package domain

import "time"

// Imports of a customer's people from a CSV file: a job that works its rows
// in chunks, each row once.

// PrefixImport is the id prefix of imports.
const PrefixImport = "imp"

// Limits of an import.
const (
	// MaxImportRows is the most rows one file takes.
	MaxImportRows = 10000
	// ImportChunkRows is the most rows one chunk (one item, one queue
	// message) holds. A chunk is also bounded by its size (rows with many
	// long roles can be tens of KB as JSON): the imports service cuts a
	// chunk before its rows pass about 200 KB, below DynamoDB's 400 KB item.
	ImportChunkRows = 50
)

// What became of one address of an invite of many: a row of an import, or
// an e-mail of a bulk invite.
const (
	OutcomeInvited       = "invited"
	OutcomeAlreadyMember = "already_member"
	OutcomeInvalid       = "invalid"
	// OutcomeWouldInvite is a dry run's answer for a row it would invite.
	OutcomeWouldInvite = "invite"
)

// ImportRow is one row of an import, as checked at upload, with its outcome
// once it has one. Rows found invalid at upload have theirs from the start.
type ImportRow struct {
	// N is the row's number in the file: 1 is the first row after the header.
	N         int      `json:"n"`
	Email     string   `json:"e"`
	Name      string   `json:"nm,omitempty"`
	Admin     bool     `json:"a,omitempty"`
	Roles     []string `json:"r,omitempty"`
	PortalIDs []string `json:"p,omitempty"`
	// Later: the invitation is not sent now (sendInvitation false).
	Later   bool   `json:"l,omitempty"`
	Outcome string `json:"o,omitempty"`
	Reason  string `json:"x,omitempty"`
	UserID  string `json:"u,omitempty"`
}

// ImportCounts are an import's rows by outcome.
type ImportCounts struct {
	Invited       int `dynamodbav:"invited" json:"invited"`
	AlreadyMember int `dynamodbav:"alreadyMember" json:"alreadyMember"`
	Invalid       int `dynamodbav:"invalid" json:"invalid"`
}

// Add counts one outcome.
func (c *ImportCounts) Add(outcome string) {
	switch outcome {
	case OutcomeInvited:
		c.Invited++
	case OutcomeAlreadyMember:
		c.AlreadyMember++
	default:
		c.Invalid++
	}
}

// Sum is how many rows have an outcome.
func (c ImportCounts) Sum() int { return c.Invited + c.AlreadyMember + c.Invalid }

// Import is a customer's import job: its rows are kept in chunks beside it
// and worked from a queue; Counts grow as each chunk is recorded, once.
type Import struct {
	ID         string `dynamodbav:"id"`
	CustomerID string `dynamodbav:"customerId"`
	Total      int    `dynamodbav:"total"`
	Chunks     int    `dynamodbav:"chunks"`
	// Counts are the rows with an outcome, by outcome: invalid ones from
	// the upload, the others as their chunks are recorded.
	Counts ImportCounts `dynamodbav:"counts"`
	// RequestedBy is who uploaded it; RequestedBySub their identity, whose
	// rights are read again before each chunk is worked.
	RequestedBy    Actor      `dynamodbav:"requestedBy"`
	RequestedBySub string     `dynamodbav:"requestedBySub"`
	CreatedAt      time.Time  `dynamodbav:"createdAt"`
	UpdatedAt      time.Time  `dynamodbav:"updatedAt"`
	FinishedAt     *time.Time `dynamodbav:"finishedAt"`
	// Queued: every chunk has been put on the queue (after the commit); the
	// sweep queues the chunks of an import that a crash left unqueued.
	Queued bool `dynamodbav:"queued"`
}

// Done reports whether every row has its outcome.
func (i *Import) Done() bool { return i.Counts.Sum() >= i.Total }

// ImportChunk is one bounded part of an import's rows.
type ImportChunk struct {
	N    int         `json:"n"`
	Rows []ImportRow `json:"rows"`
	// Done: its rows' outcomes are recorded, and counted on the import.
	Done bool `json:"done"`
}
