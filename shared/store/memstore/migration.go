package memstore

import (
	"context"
	"maps"

	"github.com/portalaccess/portalaccess/shared/state"
)

// Migration reads where the named migration stands.
func (s *Store) Migration(ctx context.Context, name string) (state.Migration, error) {
	if err := s.read(ctx, "Migration"); err != nil {
		return state.Migration{}, err
	}
	defer s.mu.Unlock()
	m := s.migrations[name]
	m.Members, m.Customers = maps.Clone(m.Members), maps.Clone(m.Customers)
	return m, nil
}

// PutMigration records where the named migration stands.
func (s *Store) PutMigration(ctx context.Context, name string, m state.Migration) error {
	if err := s.write(ctx, "PutMigration"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	m.Members, m.Customers = maps.Clone(m.Members), maps.Clone(m.Customers)
	s.migrations[name] = m
	return nil
}
