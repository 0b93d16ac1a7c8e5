package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// importRec is an import and its chunks (kept encoded, as the table keeps
// them, so that reads return copies); gone marks an import whose item an
// offboarding deleted before its chunks.
type importRec struct {
	imp    domain.Import
	gone   bool
	chunks map[int]*chunkRec
}

type chunkRec struct {
	rows []byte
	done bool
}

// CreateImport writes an import with its chunks, on condition that its
// customer is there and not offboarding.
func (s *Store) CreateImport(ctx context.Context, ni state.NewImport) error {
	if err := s.write(ctx, "CreateImport"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	imp := ni.Import
	if r := s.customers[imp.CustomerID]; r == nil || r.phantom || r.c.Offboarding() {
		return state.ErrNotFound
	}
	if s.imports[imp.CustomerID] == nil {
		s.imports[imp.CustomerID] = map[string]*importRec{}
	}
	if s.imports[imp.CustomerID][imp.ID] != nil {
		return state.ErrConcurrent
	}
	if err := s.checkExtras(ni.Extras, domain.CustomerScope(imp.CustomerID)); err != nil {
		return err
	}
	rec := &importRec{imp: cloneImport(imp), chunks: map[int]*chunkRec{}}
	for _, c := range ni.Chunks {
		b, err := json.Marshal(c.Rows)
		if err != nil {
			return err
		}
		if err := itemFits(b); err != nil {
			return err
		}
		rec.chunks[c.N] = &chunkRec{rows: b, done: c.Done}
	}
	s.imports[imp.CustomerID][imp.ID] = rec
	s.applyExtras(ni.Extras)
	return nil
}

// maxItemBytes is DynamoDB's limit of one item; chunkItemOverhead
// approximates a chunk item's keys and other attributes beside its rows.
const (
	maxItemBytes      = 400 << 10
	chunkItemOverhead = 256
)

// itemFits refuses a chunk item that DynamoDB would refuse (a
// ValidationException there), so that the in-memory tier catches it too.
func itemFits(rows []byte) error {
	if len(rows)+chunkItemOverhead > maxItemBytes {
		return fmt.Errorf("memstore: item size %d has exceeded the maximum allowed size %d", len(rows)+chunkItemOverhead, maxItemBytes)
	}
	return nil
}

func cloneImport(i domain.Import) domain.Import {
	i.CreatedAt, i.UpdatedAt, i.FinishedAt = roundTrip(i.CreatedAt), roundTrip(i.UpdatedAt), roundTripPtr(i.FinishedAt)
	return i
}

func (s *Store) importRec(customerID, id string) *importRec {
	r := s.imports[customerID][id]
	if r == nil || r.gone {
		return nil
	}
	return r
}

// Import reads an import.
func (s *Store) Import(ctx context.Context, customerID, id string) (domain.Import, error) {
	if err := s.read(ctx, "Import"); err != nil {
		return domain.Import{}, err
	}
	defer s.mu.Unlock()
	r := s.importRec(customerID, id)
	if r == nil {
		return domain.Import{}, state.ErrNotFound
	}
	return cloneImport(r.imp), nil
}

func (c *chunkRec) chunk(n int) (domain.ImportChunk, error) {
	out := domain.ImportChunk{N: n, Done: c.done}
	return out, json.Unmarshal(c.rows, &out.Rows)
}

// ImportChunk reads one chunk of an import.
func (s *Store) ImportChunk(ctx context.Context, customerID, id string, n int) (domain.ImportChunk, error) {
	if err := s.read(ctx, "ImportChunk"); err != nil {
		return domain.ImportChunk{}, err
	}
	defer s.mu.Unlock()
	r := s.imports[customerID][id]
	if r == nil || r.chunks[n] == nil {
		return domain.ImportChunk{}, state.ErrNotFound
	}
	return r.chunks[n].chunk(n)
}

// ImportChunks reads every chunk of an import, in order.
func (s *Store) ImportChunks(ctx context.Context, customerID, id string) ([]domain.ImportChunk, error) {
	if err := s.read(ctx, "ImportChunks"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	r := s.imports[customerID][id]
	if r == nil {
		return nil, nil
	}
	ns := make([]int, 0, len(r.chunks))
	for n := range r.chunks {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	out := make([]domain.ImportChunk, 0, len(ns))
	for _, n := range ns {
		c, err := r.chunks[n].chunk(n)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// RecordChunk records a chunk's outcomes and counts them on its import, once.
func (s *Store) RecordChunk(ctx context.Context, d state.ChunkDone) error {
	if err := s.write(ctx, "RecordChunk"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r := s.imports[d.CustomerID][d.ImportID]
	if r == nil || r.chunks[d.Chunk.N] == nil || r.chunks[d.Chunk.N].done {
		return state.ErrStale
	}
	if r.gone {
		return state.ErrNotFound
	}
	b, err := json.Marshal(d.Chunk.Rows)
	if err != nil {
		return err
	}
	if err := itemFits(b); err != nil {
		return err
	}
	r.chunks[d.Chunk.N] = &chunkRec{rows: b, done: true}
	c := &r.imp.Counts
	c.Invited += d.Counts.Invited
	c.AlreadyMember += d.Counts.AlreadyMember
	c.Invalid += d.Counts.Invalid
	r.imp.UpdatedAt = roundTrip(d.Now)
	if r.imp.Done() && r.imp.FinishedAt == nil {
		at := roundTrip(d.Now)
		r.imp.FinishedAt = &at
	}
	return nil
}

// MarkImportQueued records that every chunk of an import is on the queue.
func (s *Store) MarkImportQueued(ctx context.Context, customerID, id string) error {
	if err := s.write(ctx, "MarkImportQueued"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r := s.importRec(customerID, id)
	if r == nil {
		return state.ErrNotFound
	}
	r.imp.Queued = true
	return nil
}

// CustomerEmails are the e-mails of a customer's members.
func (s *Store) CustomerEmails(ctx context.Context, customerID string) (map[string]bool, error) {
	if err := s.read(ctx, "CustomerEmails"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := map[string]bool{}
	for e := range s.emails[domain.CustomerScope(customerID)] {
		out[e] = true
	}
	return out, nil
}

// importKeysIn lists the sort keys of a customer's import items as the
// table orders them: each import's item, then its chunks.
func importKeysIn(m map[string]*importRec) []string {
	var keys []string
	for id, r := range m {
		if !r.gone {
			keys = append(keys, "IM#"+id)
		}
		for n := range r.chunks {
			keys = append(keys, fmt.Sprintf("IM#%s#%05d", id, n))
		}
	}
	sort.Strings(keys)
	return keys
}

// deleteImportItem deletes one import item by its sort key.
func (s *Store) deleteImportItem(customerID, sk string) {
	rest := strings.TrimPrefix(sk, "IM#")
	id, chunk, isChunk := strings.Cut(rest, "#")
	r := s.imports[customerID][id]
	if r == nil {
		return
	}
	if isChunk {
		var n int
		fmt.Sscanf(chunk, "%d", &n)
		delete(r.chunks, n)
	} else {
		r.gone = true
	}
	if r.gone && len(r.chunks) == 0 {
		delete(s.imports[customerID], id)
	}
}
