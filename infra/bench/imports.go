package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
)

// importView is what GET …/imports/{importId} answers.
type importView = testkit.Import

// A progress sample: the rows done at a moment after the upload.
type progress struct {
	at   time.Duration
	done int
}

// importWindow is the span over which the highest send rate is taken: the
// rows are recorded a chunk (50) at a time, so a shorter one would measure
// the chunks, not the pacing.
const importWindow = 10 * time.Second

// importRun uploads a CSV file of n new people to a new customer through
// the local gateway and follows the import, run from the queue by the
// import-users consumer (its own handler, lambdafn.WorkImports, as the
// event source mapping runs it), to the end. It prints the rows, the wall
// time from the upload to the last outcome, the invitations per second
// over it, the rate held from the first chunk recorded to the last, and
// the highest over any 10 s, against the stack's IMPORT_SEND_RATE; it
// fails unless every row was invited and e-mailed once, or if the pacing
// let more than 1.25× the send rate through.
func importRun(n, rate, concurrency int) error {
	fmt.Printf("\n## An import of %d rows (the local stack: the gateway, the queue, the import-users consumer)\n", n)
	if n < 1 || n > 10_000 {
		return fmt.Errorf("an import takes 1 to 10,000 rows, not %d", n)
	}
	ctx := context.Background()
	env := map[string]string{"INVITE_RATE_LIMIT": "1000000", "IMPORT_SEND_RATE": strconv.Itoa(rate)}
	if concurrency > 0 {
		env["IMPORT_CONCURRENCY"] = strconv.Itoa(concurrency)
	}
	st, gw, err := localStack(ctx, env)
	if err != nil {
		return err
	}
	defer st.Stop()
	id, err := gw.newCustomer("Import")
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("email,name,admin,roles,sendInvitation\r\n")
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("import%05d@import.example", i)
		fmt.Fprintf(&b, "%s,Person %d,no,,\r\n", emails[i], i)
	}
	base := "/v1/customers/" + id + "/imports"
	start := time.Now()
	out, hdr, err := gw.call("POST", base, "text/csv", []byte(b.String()), 202)
	if err != nil {
		return err
	}
	accepted := time.Since(start)
	var v importView
	if err := json.Unmarshal(out, &v); err != nil || v.Total != n {
		return fmt.Errorf("the import accepted: %s (%v)", out, err)
	}
	loc := hdr.Get("Location")
	if loc == "" {
		loc = base + "/" + v.ID
	}
	samples := []progress{{0, 0}}
	deadline := time.Now().Add(2 * time.Hour) // a bound against a hang only
	for v.State != "done" {
		if time.Now().After(deadline) {
			return fmt.Errorf("the import did not finish: %+v", v)
		}
		time.Sleep(250 * time.Millisecond)
		out, _, err := gw.call("GET", loc, "", nil, 200)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(out, &v); err != nil {
			return err
		}
		if v.Done != samples[len(samples)-1].done {
			samples = append(samples, progress{time.Since(start), v.Done})
		}
	}
	wall := time.Since(start)
	if v.Done != n || v.Counts.Invited != n {
		return fmt.Errorf("the import of %d rows ended with %+v", n, v)
	}
	mails, err := emulators.Mailbox(st.Info.SES.Endpoint)
	if err != nil {
		return err
	}
	byAddr := map[string]int{}
	for _, m := range mails {
		for _, to := range m.Destination.To {
			byAddr[to]++
		}
	}
	for _, e := range emails {
		if byAddr[e] != 1 {
			return fmt.Errorf("%s got %d e-mails", e, byAddr[e])
		}
	}
	held, peak := importRates(samples)
	cfg := st.Config
	fmt.Printf("| rows | invited (e-mails) | accepted in | wall time | invitations/s (wall) | rate held (first chunk to last) | highest over %s | IMPORT_SEND_RATE | IMPORT_CONCURRENCY |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n", importWindow)
	fmt.Printf("| %d | %d | %.2f s | %.1f s | %.1f | %.1f | %.1f | %d | %d |\n", n, v.Counts.Invited, accepted.Seconds(), wall.Seconds(),
		float64(n)/wall.Seconds(), held, peak, cfg.ImportSendRate, cfg.ImportConcurrency)
	if peak > 1.25*float64(cfg.ImportSendRate) {
		return fmt.Errorf("the consumers sent %.1f invitations a second over %s, above IMPORT_SEND_RATE %d", peak, importWindow, cfg.ImportSendRate)
	}
	return nil
}

// importRates answers the rows a second from the first chunk recorded to
// the last, and the highest over any importWindow (or the whole, when the
// import took less).
func importRates(s []progress) (held, peak float64) {
	if len(s) < 2 {
		return 0, 0
	}
	first, last := s[1], s[len(s)-1]
	if last.at > first.at {
		held = float64(last.done-first.done) / (last.at - first.at).Seconds()
	}
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j].at-s[i].at >= importWindow {
				peak = max(peak, float64(s[j].done-s[i].done)/(s[j].at-s[i].at).Seconds())
				break
			}
		}
	}
	if peak == 0 {
		peak = float64(last.done) / last.at.Seconds()
	}
	return held, peak
}
