package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Endpoint is one operation of the API.
type Endpoint func(ctx context.Context, r *Request) (*Response, error)

// Handler is what a Lambda function (and the local gateway) calls.
type Handler func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Wrap turns an endpoint into a handler that never fails and never panics:
// every error becomes a problem answer, and every request is logged once
// with its id, route, status and duration — never its body, its token or
// its query string (which may hold a search for an e-mail address).
func Wrap(name string, ep Endpoint, translate Translate, log *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, _ error) {
		start := time.Now()
		r := &Request{Event: ev}
		rid := r.RequestID()
		var err error
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
				resp = problemEvent(err, nil, rid)
			}
			attrs := append([]any{
				"apiRequestId", rid, "function", name, "route", ev.RouteKey,
				"status", resp.StatusCode, "ms", time.Since(start).Milliseconds(),
			}, r.logAttrs...)
			switch {
			case resp.StatusCode >= 500:
				attrs = append(attrs, "error", errString(err))
				log.ErrorContext(ctx, "request failed", attrs...)
			case err != nil:
				p, _ := ProblemOf(err, translate, rid)
				attrs = append(attrs, "code", p.Code)
				log.InfoContext(ctx, "request refused", attrs...)
			default:
				log.InfoContext(ctx, "request", attrs...)
			}
		}()
		var res *Response
		res, err = ep(ctx, r)
		if err != nil {
			return problemEvent(err, translate, rid), nil
		}
		out, encErr := res.event(rid)
		if encErr != nil {
			err = fmt.Errorf("encode the response: %w", encErr)
			return problemEvent(err, nil, rid), nil
		}
		return out, nil
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
