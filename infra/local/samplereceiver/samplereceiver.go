// Package samplereceiver is the local stack's sample webhook receiver: it
// takes every delivery posted to it, checks its signature with the secrets
// it was given (shared/webhooks.Verify, as a receiver of yours would), and
// shows them newest first at / (and as JSON at /deliveries). Paste a
// subscription's secret into its page (kept in memory only) to see the
// signatures verify.
package samplereceiver

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/portalaccess/portalaccess/shared/webhooks"
)

// Delivery is one delivery as the receiver took it.
type Delivery struct {
	Path      string    `json:"path"`
	ID        string    `json:"webhookId"`
	Type      string    `json:"type"`
	At        time.Time `json:"at"`
	Verified  bool      `json:"verified"`
	Signature string    `json:"signature"`
	Body      string    `json:"body"`
}

// Receiver is the sample receiver.
type Receiver struct {
	mu      sync.Mutex
	secrets []string
	got     []Delivery
}

// New makes one.
func New() *Receiver { return &Receiver{} }

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.Method == http.MethodPost && req.URL.Path == "/secret":
		s := strings.TrimSpace(req.FormValue("secret"))
		if !strings.HasPrefix(s, "whsec_") {
			http.Error(w, "a secret starts with whsec_", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.secrets = append(r.secrets, s)
		r.mu.Unlock()
		http.Redirect(w, req, "/", http.StatusSeeOther)
	case req.Method == http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable", http.StatusBadRequest)
			return
		}
		var ev struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(body, &ev)
		r.mu.Lock()
		d := Delivery{Path: req.URL.Path, ID: req.Header.Get(webhooks.HeaderID), Type: ev.Type, At: time.Now().UTC(),
			Signature: req.Header.Get(webhooks.HeaderSignature), Body: string(body)}
		for _, s := range r.secrets {
			if webhooks.Verify(req.Header, s, body, time.Now()) == nil {
				d.Verified = true
			}
		}
		r.got = append(r.got, d)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case req.URL.Path == "/deliveries":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Deliveries())
	case req.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, r.Deliveries())
	default:
		http.NotFound(w, req)
	}
}

// Deliveries are what it took, newest first.
func (r *Receiver) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Delivery, 0, len(r.got))
	for i := len(r.got) - 1; i >= 0; i-- {
		out = append(out, r.got[i])
	}
	return out
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sample webhook receiver</title></head>
<body><main><h1>Sample webhook receiver</h1>
<p>Subscribe any URL of this receiver (for example <code>/hooks</code>) to a customer's events; every delivery shows here.</p>
<form method="post" action="/secret"><label for="secret">A subscription's secret, to verify signatures</label>
<input id="secret" name="secret" type="password" autocomplete="off"> <button>Verify with it</button></form>
<table><caption>Deliveries, newest first</caption><thead><tr><th scope="col">Received</th><th scope="col">Path</th><th scope="col">webhook-id</th><th scope="col">Type</th><th scope="col">Signature</th></tr></thead><tbody>
{{range .}}<tr><td>{{.At.Format "15:04:05"}}</td><td>{{.Path}}</td><td>{{.ID}}</td><td>{{.Type}}</td><td>{{if .Verified}}verified{{else}}not verified{{end}}</td></tr>
{{end}}</tbody></table></main></body></html>
`))
