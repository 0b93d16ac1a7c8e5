// Package eventbus is the local stand-in for the stack's EventBridge bus:
// it answers EventBridge's PutEvents (JSON 1.1) so that the product's own
// EventBridge adapter, and a function's bootstrap under the Runtime API,
// publish to it exactly as on AWS; and, as a rule does on AWS, it hands
// each event to its targets (the deliveries' queue).
package eventbus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Event is an event as EventBridge hands it to a rule's target.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Target receives each event of a rule. An error fails the entry, as
// EventBridge reports a target it could not reach (it would retry; the
// caller here sees it at once).
type Target func(ctx context.Context, ev Event) error

// Rule sends the events of one source to a target.
type Rule struct {
	Source string
	Target Target
}

// Bus is the local bus.
type Bus struct {
	Name string
	mu   sync.Mutex
	// rules are matched by source, as the stack's rule does.
	rules []Rule
	seen  []Event
}

// New makes a bus.
func New(name string) *Bus { return &Bus{Name: name} }

// AddRule adds a rule.
func (b *Bus) AddRule(r Rule) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rules = append(b.rules, r)
}

// Events are every event the bus took, in order.
func (b *Bus) Events() []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Event(nil), b.seen...)
}

type putEntry struct {
	Source       string
	DetailType   string
	Detail       string
	EventBusName string
	Resources    []string
	Time         *float64
}

type putResult struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// ServeHTTP answers PutEvents.
func (b *Bus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		awsError(w, "UnknownOperationException", "only PutEvents is served")
		return
	}
	var in struct{ Entries []putEntry }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil || len(in.Entries) == 0 || len(in.Entries) > 10 {
		awsError(w, "ValidationException", "1 to 10 entries")
		return
	}
	out := struct {
		Entries          []putResult
		FailedEntryCount int
	}{}
	for _, e := range in.Entries {
		res := b.put(r.Context(), e)
		if res.ErrorCode != "" {
			out.FailedEntryCount++
		}
		out.Entries = append(out.Entries, res)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func (b *Bus) put(ctx context.Context, e putEntry) putResult {
	if e.EventBusName != "" && e.EventBusName != b.Name {
		return putResult{ErrorCode: "ResourceNotFoundException", ErrorMessage: "no bus " + e.EventBusName}
	}
	if !json.Valid([]byte(e.Detail)) {
		return putResult{ErrorCode: "MalformedDetail", ErrorMessage: "detail is not JSON"}
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	ev := Event{Version: "0", ID: hex.EncodeToString(id), DetailType: e.DetailType, Source: e.Source,
		Account: "000000000000", Time: time.Now().UTC(), Region: "us-east-1", Resources: e.Resources, Detail: json.RawMessage(e.Detail)}
	if ev.Resources == nil {
		ev.Resources = []string{}
	}
	if e.Time != nil {
		ev.Time = time.Unix(int64(*e.Time), 0).UTC()
	}
	b.mu.Lock()
	b.seen = append(b.seen, ev)
	rules := append([]Rule(nil), b.rules...)
	b.mu.Unlock()
	for _, r := range rules {
		if r.Source != ev.Source {
			continue
		}
		if err := r.Target(ctx, ev); err != nil {
			return putResult{ErrorCode: "InternalException", ErrorMessage: err.Error()}
		}
	}
	return putResult{EventID: ev.ID}
}

func awsError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
