package store

// The table's shape, read by the CDK stack and by the local stack so that the
// two cannot drift. One table holds everything (single-table design); every
// read the API makes is a GetItem, a Query on a partition, or a Query on one
// of these indexes, never a Scan.

// Key attributes of the table.
const (
	AttrPK  = "pk"
	AttrSK  = "sk"
	AttrTTL = "ttl" // epoch seconds; garbage only (used tokens, idempotency records)
)

// Index is a global secondary index of the table.
type Index struct {
	Name string
	PK   string
	SK   string
	// NonKey lists the projected attributes when the index does not project
	// everything; nil means ALL.
	NonKey []string
	// KeysOnly projects only the keys.
	KeysOnly bool
}

// Index names.
const (
	// IndexCategory lists a scope's members of one status, sorted by e-mail:
	// one Query per page, whatever the size of the customer or the table.
	IndexCategory = "category"
	// IndexListing lists a scope's members sorted by e-mail, and all
	// customers sorted by name.
	IndexListing = "listing"
	// IndexDue is sparse: only invitations waiting for a reminder or an
	// expiry, and identities waiting to be brought in line, are in it, keyed
	// by when they are due. The sweep's cost follows the number due.
	IndexDue = "due"
)

// Indexes are the table's global secondary indexes.
var Indexes = []Index{
	{Name: IndexCategory, PK: "catPk", SK: "catSk"},
	{Name: IndexListing, PK: "listPk", SK: "listSk"},
	{Name: IndexDue, PK: "duePk", SK: "dueSk", NonKey: []string{"marker"}},
}
