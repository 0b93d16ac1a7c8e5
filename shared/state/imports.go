package state

import (
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// NewImport is an import as accepted: the job and its rows in chunks. The
// chunks are written first (with an expiry, so that those of an import a
// crash left unwritten go by themselves), the job last, on condition that
// its customer exists and is not offboarding (ErrNotFound).
type NewImport struct {
	Import domain.Import
	Chunks []domain.ImportChunk
	// Extras: whoever requests the import must still be allowed to (the
	// acting admin or operator), checked with the import's own write.
	Extras
}

// ChunkDone records a chunk's outcomes once: the chunk marked done with its
// rows, and the counts added to its import, in one transaction conditional
// on the chunk not being done already (ErrStale: another delivery of its
// message recorded it). The import is then marked finished when every row
// has its outcome.
type ChunkDone struct {
	CustomerID, ImportID string
	Chunk                domain.ImportChunk
	// Counts are the outcomes decided in this working of the chunk (not
	// those decided at upload, counted already).
	Counts domain.ImportCounts
	Now    time.Time
}

// ImportQueueGrace is how long after an import was made the sweep takes
// it as left unqueued by a crash (its request queues it at once).
const ImportQueueGrace = time.Minute

// ImportTTL is how long an import, its rows and outcomes can still be read
// after it was made.
const ImportTTL = 30 * 24 * time.Hour
