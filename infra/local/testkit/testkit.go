// Package testkit holds what the local stack's test binaries (and the
// benchmarks) share: a log sink that many goroutines write, a meter of
// consumed capacity, and the API's resources as a client reads them.
package testkit

import (
	"bytes"
	"sync"
	"time"
)

// LockedBuffer is a log sink many goroutines write to, read as a whole.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Meter adds up the capacity a store's reads consume: set the store's
// Capacity to its Add, read it with Take.
type Meter struct {
	mu    sync.Mutex
	units float64
}

// Add counts the capacity one read consumed.
func (m *Meter) Add(_ string, units float64) { m.mu.Lock(); m.units += units; m.mu.Unlock() }

// Take returns what was counted since the last Take.
func (m *Meter) Take() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.units
	m.units = 0
	return u
}

// User is a portal user or an operator as the API answers it.
type User struct {
	ID         string      `json:"id"`
	CustomerID string      `json:"customerId"`
	Email      string      `json:"email"`
	Name       string      `json:"name"`
	Status     string      `json:"status"`
	Admin      bool        `json:"admin"`
	Roles      []string    `json:"roles"`
	PortalIDs  []string    `json:"portalIds"`
	Role       string      `json:"role"`
	Version    int         `json:"version"`
	Invitation *Invitation `json:"invitation"`
}

// Invitation is a user's invitation as the API answers it.
type Invitation struct {
	State     string    `json:"state"`
	ExpiresAt time.Time `json:"expiresAt"`
	SendCount int       `json:"sendCount"`
	Delivery  string    `json:"delivery"`
}

// Page is one page of a listing.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}
