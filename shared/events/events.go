// Package events publishes every committed change as an event: each audit
// event item, written in its change's own transaction, reaches the table's
// stream, and Publisher turns each new one into one event on the bus (an
// EventBridge bus on AWS, the local stack's bus on a laptop). No code path
// writes an event beside a change: an event exists exactly when its change
// committed.
//
// The event's schema is schema/v1.json (JSON Schema 2020-12), versioned:
// Version says which one a body follows.
package events

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/pb33f/jsonschema/v6"

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

//go:embed schema/v1.json
var schemaV1 []byte

// SchemaV1 is the JSON Schema of version 1, as published.
func SchemaV1() []byte { return bytes.Clone(schemaV1) }

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
)

// Validate checks a body against the schema of its version (1 is the only
// one).
func Validate(body []byte) error {
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaV1))
		if err != nil {
			compileErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		const url = "https://portal-access.example/events/v1.json"
		if err := c.AddResource(url, doc); err != nil {
			compileErr = err
			return
		}
		compiled, compileErr = c.Compile(url)
	})
	if compileErr != nil {
		return fmt.Errorf("events: the schema does not compile: %w", compileErr)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("events: not JSON: %w", err)
	}
	return compiled.Validate(v)
}

// Marshal is the event's body.
func (e Event) Marshal() []byte {
	b, err := json.Marshal(e)
	if err != nil { // only plain fields: cannot happen
		panic(err)
	}
	return b
}
