package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portalaccess/portalaccess/shared/routes"
)

// loader sends requests as one caller (no token: anonymous).
type loader struct {
	api    string
	token  string
	http   *http.Client
	served *served
}

func (l *loader) as(token string) *loader {
	return &loader{api: l.api, token: token, http: l.http, served: l.served}
}

// call is one request and the answers it expects.
type call struct {
	method, path string
	body         any    // sent as JSON, unless raw is set
	raw          []byte // sent as it is, with ctype
	ctype        string
	header       []string // name, value, name, value…
	want         []int
}

func (l *loader) do(method, path string, body any, want ...int) (int, []byte, time.Duration, error) {
	return l.send(call{method: method, path: path, body: body, want: want})
}

func (l *loader) send(c call) (int, []byte, time.Duration, error) {
	var r io.Reader
	ctype := c.ctype
	switch {
	case c.raw != nil:
		r = bytes.NewReader(c.raw)
	case c.body != nil:
		b, _ := json.Marshal(c.body)
		r, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequest(c.method, l.api+c.path, r)
	if err != nil {
		return 0, nil, 0, err
	}
	if l.token != "" {
		req.Header.Set("Authorization", "Bearer "+l.token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k := 0; k+1 < len(c.header); k += 2 {
		req.Header.Set(c.header[k], c.header[k+1])
	}
	l.served.add(req)
	start := time.Now()
	res, err := l.http.Do(req)
	took := time.Since(start)
	if err != nil {
		return 0, nil, took, err
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if slices.Contains(c.want, res.StatusCode) {
		return res.StatusCode, out, took, nil
	}
	return res.StatusCode, out, took, fmt.Errorf("%s %s: %d %s", c.method, c.path, res.StatusCode, strings.TrimSpace(string(out)))
}

// served counts the requests that reached each function, found from the
// request's method and path the way the gateway routes them (the same
// patterns, from routes.Table).
type served struct {
	mux      *http.ServeMux
	function map[string]string // pattern → function
	mu       sync.Mutex
	n        map[string]int
}

func newServed() *served {
	s := &served{mux: http.NewServeMux(), function: map[string]string{}, n: map[string]int{}}
	for _, rt := range routes.Table {
		if rt.Method == "" {
			continue
		}
		pattern := rt.Method + " " + strings.ReplaceAll(rt.Path, "+}", "...}")
		s.mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		s.function[pattern] = rt.Function
	}
	return s
}

func (s *served) add(r *http.Request) {
	_, pattern := s.mux.Handler(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n[s.function[pattern]]++ // "" for a path no route has
}

// since answers the functions reached since the counts in before.
func (s *served) since(before map[string]int) map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := map[string]bool{}
	for fn, n := range s.n {
		if n > before[fn] {
			got[fn] = true
		}
	}
	return got
}

func (s *served) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.n))
	for k, v := range s.n {
		out[k] = v
	}
	return out
}

// unserved answers the routes of the table no request reached.
func (s *served) unserved() []string {
	got := s.counts()
	var missing []string
	for _, rt := range routes.Table {
		if rt.Method != "" && got[rt.Function] == 0 {
			missing = append(missing, rt.Function)
		}
	}
	return missing
}

// pool hands out things so that no two workers change the same one at
// once.
type pool[T any] struct{ ch chan T }

func newPool[T any]() *pool[T] { return &pool[T]{ch: make(chan T, 100000)} }
func (p *pool[T]) put(v T)     { p.ch <- v }
func (p *pool[T]) size() int   { return len(p.ch) }
func (p *pool[T]) take() (T, bool) {
	select {
	case v := <-p.ch:
		return v, true
	default:
		var zero T
		return zero, false
	}
}

// moved runs f on something from one pool and then puts it in the other:
// what a change of state does to what the mix may act on next.
func moved[T any](from, to *pool[T], f func(v T) (time.Duration, error)) (time.Duration, error) {
	v, ok := from.take()
	if !ok {
		return 0, errSkipped
	}
	t, err := f(v)
	to.put(v)
	return t, err
}
