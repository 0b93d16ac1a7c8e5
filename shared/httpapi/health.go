package httpapi

import "context"

// Health answers that the API is up. It lives here, with no dependency, so
// that its function links no AWS client.
func Health(ctx context.Context, r *Request) (*Response, error) {
	return OK(map[string]string{"status": "ok"}), nil
}
