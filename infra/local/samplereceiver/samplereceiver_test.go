package samplereceiver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/webhooks"
)

// The sample receiver takes every delivery, says whether its signature
// verified with a secret pasted on its page, and lists them newest first.
func TestSampleReceiver(t *testing.T) {
	r := New()
	secret := webhooks.NewSecret()
	post := func(body string, secrets ...string) {
		req := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(body))
		if err := webhooks.Sign(req.Header, secrets, "evt_1", time.Now(), []byte(body)); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			t.Fatalf("a delivery: %d", w.Code)
		}
	}
	post(`{"type":"user.invited"}`, secret)
	form := httptest.NewRequest(http.MethodPost, "/secret", strings.NewReader(url.Values{"secret": {secret}}.Encode()))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.ServeHTTP(httptest.NewRecorder(), form)
	post(`{"type":"user.deleted"}`, secret)
	post(`{"type":"user.updated"}`, webhooks.NewSecret())
	got := r.Deliveries()
	if len(got) != 3 || got[0].Type != "user.updated" || got[0].Verified || !got[1].Verified || got[2].Verified {
		t.Fatalf("deliveries %+v", got)
	}
	page := httptest.NewRecorder()
	r.ServeHTTP(page, httptest.NewRequest(http.MethodGet, "/", nil))
	if !strings.Contains(page.Body.String(), "user.deleted") || strings.Contains(page.Body.String(), secret) {
		t.Errorf("the page: %s", page.Body)
	}
}
