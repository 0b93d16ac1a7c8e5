// Package mailbox is an in-memory mail.Sender for the fast test tier: it
// keeps every message sent, and a hook makes a send fail.
package mailbox

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"

	"github.com/portalaccess/portalaccess/shared/mail"
)

// Box keeps what was sent.
type Box struct {
	mu   sync.Mutex
	sent []mail.Message
	// Fail, when set, fails a send to the address with the error it returns
	// (wrap mail.ErrOutcomeUnknown for a send whose outcome is unknown: the
	// message is kept then, as it may well have gone out; ErrLost for one
	// whose outcome is unknown and that did not go).
	Fail func(to string) error
}

// ErrLost is an outcome unknown to the sender of a message that did not go.
var ErrLost = fmt.Errorf("lost on its way: %w", mail.ErrOutcomeUnknown)

var _ mail.Sender = (*Box)(nil)

// New makes an empty mailbox.
func New() *Box { return &Box{} }

func (b *Box) Send(ctx context.Context, m mail.Message) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Fail != nil {
		if err := b.Fail(m.To); err != nil {
			if errors.Is(err, mail.ErrOutcomeUnknown) && !errors.Is(err, ErrLost) {
				b.sent = append(b.sent, m)
			}
			return "", err
		}
	}
	b.sent = append(b.sent, m)
	return "msg-" + strconv.Itoa(len(b.sent)), nil
}

// To lists the messages sent to an address, oldest first.
func (b *Box) To(addr string) []mail.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []mail.Message
	for _, m := range b.sent {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

// Count is how many messages were sent.
func (b *Box) Count() int { b.mu.Lock(); defer b.mu.Unlock(); return len(b.sent) }

var tokenInLink = regexp.MustCompile(`/accept-invitation#token=([A-Za-z0-9_-]{43})`)

// Token is the invitation token of the newest message to an address, or "".
func (b *Box) Token(addr string) string {
	ms := b.To(addr)
	if len(ms) == 0 {
		return ""
	}
	m := tokenInLink.FindStringSubmatch(ms[len(ms)-1].Text)
	if m == nil {
		return ""
	}
	return m[1]
}
