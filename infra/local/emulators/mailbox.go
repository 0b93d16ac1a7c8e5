package emulators

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Email is one message aws-ses-v2-local holds.
type Email struct {
	MessageID   string `json:"messageId"`
	From        string `json:"from"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		Text string `json:"text"`
		HTML string `json:"html"`
	} `json:"body"`
}

// Mailbox reads every e-mail the SES emulator at sesURL holds, oldest first.
func Mailbox(sesURL string) ([]Email, error) {
	res, err := http.Get(sesURL + "/store")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the SES emulator answered %s", res.Status)
	}
	var store struct {
		Emails []Email `json:"emails"`
	}
	if err := json.NewDecoder(res.Body).Decode(&store); err != nil {
		return nil, err
	}
	return store.Emails, nil
}

// To keeps the e-mails sent to an address, in their order.
func To(mails []Email, addr string) []Email {
	var out []Email
	for _, e := range mails {
		for _, to := range e.Destination.To {
			if strings.EqualFold(to, addr) {
				out = append(out, e)
				break
			}
		}
	}
	return out
}
