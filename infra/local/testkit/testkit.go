// Package testkit holds what the local stack's test binaries (and the
// benchmarks) share: a log sink that many goroutines write, a meter of
// consumed capacity, and the API's resources as a client reads them.
package testkit

import (
	"bytes"
	"sync"
	"time"
)

// LockedBuffer is a log sink many goroutines write to, read as a whole
// (String) or piece by piece (Take). With Max set, a buffer holding more
// than Max bytes is emptied before the next write (what it held is dropped,
// so that a long run's log cannot grow without end).
type LockedBuffer struct {
	Max int
	mu  sync.Mutex
	b   bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Max > 0 && l.b.Len() > l.Max {
		l.b.Reset()
	}
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Take returns what was written since the last Take.
func (l *LockedBuffer) Take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
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
	// What the mail service reported.
	DeliveryAt     *time.Time `json:"deliveryAt"`
	DeliveryReason string     `json:"deliveryReason"`
	Undeliverable  bool       `json:"undeliverable"`
}

// PortalSetup is a portal setup as the API answers it.
type PortalSetup struct {
	ID           string   `json:"id"`
	CustomerID   string   `json:"customerId"`
	Name         string   `json:"name"`
	URL          string   `json:"url"`
	RedirectURIs []string `json:"redirectUris"`
	Version      int      `json:"version"`
	SignIn       struct {
		ClientID              *string `json:"clientId"`
		Issuer                string  `json:"issuer"`
		DiscoveryURL          string  `json:"discoveryUrl"`
		AuthorizationEndpoint string  `json:"authorizationEndpoint"`
		TokenEndpoint         string  `json:"tokenEndpoint"`
		LogoutEndpoint        string  `json:"logoutEndpoint"`
		UILocales             string  `json:"uiLocales"`
	} `json:"signIn"`
}

// ClientID is the setup's app client in the user pool ("" without one).
func (p PortalSetup) ClientID() string {
	if p.SignIn.ClientID == nil {
		return ""
	}
	return *p.SignIn.ClientID
}

// Import is a user import as GET …/imports/{importId} answers it.
type Import struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Total  int    `json:"total"`
	Done   int    `json:"done"`
	Counts struct {
		Invited       int `json:"invited"`
		AlreadyMember int `json:"alreadyMember"`
		Invalid       int `json:"invalid"`
	} `json:"counts"`
}

// Page is one page of a listing.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}
