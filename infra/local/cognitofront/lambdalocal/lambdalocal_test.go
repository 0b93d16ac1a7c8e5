package lambdalocal

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func invoke(t *testing.T, f *Functions, method, path, body string, header ...string) *http.Response {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func body(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func TestInvoke(t *testing.T) {
	f := New(nil)
	var mu sync.Mutex
	var seen []string
	f.Observe(func(_ context.Context, name string, event, answer []byte) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, name+" "+string(event)+" "+string(answer))
	})
	f.Register("custom-message", func(_ context.Context, event []byte) ([]byte, error) {
		return []byte(strings.Replace(string(event), `"response":{}`, `"response":{"emailSubject":"S"}`, 1)), nil
	})
	f.Register("broken", func(context.Context, []byte) ([]byte, error) { return nil, errors.New("it broke") })
	f.Register("panics", func(context.Context, []byte) ([]byte, error) { panic("oh") })

	// As cognito-local's aws-sdk v2 client calls it.
	res := invoke(t, f, "POST", "/2015-03-31/functions/custom-message/invocations", `{"a":1,"response":{}}`,
		"Content-Type", "binary/octet-stream", "X-Amz-Invocation-Type", "RequestResponse")
	if got := body(res); res.StatusCode != 200 || got != `{"a":1,"response":{"emailSubject":"S"}}` || res.Header.Get("X-Amz-Function-Error") != "" {
		t.Errorf("invoke: %d %q", res.StatusCode, got)
	}
	if len(seen) != 1 || seen[0] != `custom-message {"a":1,"response":{}} {"a":1,"response":{"emailSubject":"S"}}` {
		t.Errorf("observed %q", seen)
	}
	// An ARN with a qualifier names the same function.
	if res := invoke(t, f, "POST", "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:custom-message:$LATEST/invocations", `{"response":{}}`); res.StatusCode != 200 {
		t.Errorf("by ARN: %d", res.StatusCode)
	}
	for _, name := range []string{"broken", "panics"} {
		res := invoke(t, f, "POST", "/2015-03-31/functions/"+name+"/invocations", `{}`)
		if got := body(res); res.StatusCode != 200 || res.Header.Get("X-Amz-Function-Error") != "Unhandled" || !strings.Contains(got, `"errorMessage":`) {
			t.Errorf("%s: %d %q %q", name, res.StatusCode, res.Header.Get("X-Amz-Function-Error"), got)
		}
	}
	if res := invoke(t, f, "POST", "/2015-03-31/functions/nothing/invocations", `{}`); res.StatusCode != 404 || res.Header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("unknown function: %d", res.StatusCode)
	}
	if res := invoke(t, f, "GET", "/2015-03-31/functions/custom-message/invocations", ``); res.StatusCode != 405 {
		t.Errorf("GET: %d", res.StatusCode)
	}
	if res := invoke(t, f, "POST", "/other", ``); res.StatusCode != 404 {
		t.Errorf("another path: %d", res.StatusCode)
	}
	// An asynchronous invocation answers at once and runs.
	res = invoke(t, f, "POST", "/2015-03-31/functions/custom-message/invocations", `{"b":2,"response":{}}`, "X-Amz-Invocation-Type", "Event")
	if res.StatusCode != 202 {
		t.Errorf("Event: %d", res.StatusCode)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 3 || time.Now().After(deadline) {
			if n != 3 {
				t.Errorf("the asynchronous invocation did not run: %d", n)
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTyped(t *testing.T) {
	type event struct {
		UserName string `json:"userName"`
		Response struct {
			EmailSubject string `json:"emailSubject"`
		} `json:"response"`
	}
	h := Typed(func(_ context.Context, ev event) (event, error) {
		ev.Response.EmailSubject = "Hi " + ev.UserName
		return ev, nil
	})
	out, err := h(context.Background(), []byte(`{"userName":"bob","response":{}}`))
	if err != nil || string(out) != `{"userName":"bob","response":{"emailSubject":"Hi bob"}}` {
		t.Errorf("Typed: %s %v", out, err)
	}
	if _, err := h(context.Background(), []byte(`[`)); err == nil {
		t.Error("a bad event decoded")
	}
}
