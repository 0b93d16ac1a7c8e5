// Package events publishes every committed change as an event: each audit
// event item, written in its change's own transaction, reaches the table's
// stream, and Publisher turns each new one into one event on the bus (an
// EventBridge bus on AWS, the local stack's bus on a laptop). No code path
// writes an event beside a change: an event exists exactly when its change
// committed.
//
// The event's schema is schema/v1.json (JSON Schema 2020-12), versioned:
// Version says which one a body follows; package schema validates against
// it (apart, so that publish-events does not link a validator).
package events

import (
	"encoding/json"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// Version is the schema version of the events this code publishes.
const Version = 1

// Source is the events' source on the bus; DetailType there is the event's
// type.
const Source = "portal-access"

// Event is one committed change, as receivers see it: the body of each
// webhook delivery and the detail of each event on the bus.
type Event struct {
	// ID is the audit event's id: the same however often the stream
	// delivers its record, so receivers dedupe on it (webhook-id).
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Version   int       `json:"version"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is what happened, by whom, to what.
type Data struct {
	// CustomerID is the customer whose trail holds the event; nil on the
	// provider's own trail.
	CustomerID *string       `json:"customerId"`
	Actor      Actor         `json:"actor"`
	Target     domain.Target `json:"target"`
}

// Actor is who made the change.
type Actor struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Email string `json:"email"`
}

// FromAudit is the event of an audit event.
func FromAudit(a domain.AuditEvent) Event {
	ev := Event{ID: a.ID, Type: a.Action, Version: Version, Timestamp: a.At.UTC(), Data: Data{
		Actor:  Actor{ID: a.Actor.ID, Kind: a.Actor.Kind, Email: a.Actor.Email},
		Target: a.Target,
	}}
	if a.CustomerID != "" {
		id := a.CustomerID
		ev.Data.CustomerID = &id
	}
	return ev
}

// Customer is the event's customer, "" on the provider's trail.
func (e Event) Customer() string {
	if e.Data.CustomerID == nil {
		return ""
	}
	return *e.Data.CustomerID
}

// Types are every event type the product publishes: one per audit action.
func Types() []string { return domain.Actions() }

// Marshal is the event's body.
func (e Event) Marshal() []byte {
	b, err := json.Marshal(e)
	if err != nil { // only plain fields: cannot happen
		panic(err)
	}
	return b
}
