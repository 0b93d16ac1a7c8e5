package emulators

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// SQSOptions configure the SQS emulator.
type SQSOptions struct {
	// Root is the repository root; found from the working directory if empty.
	Root string
	// Port; 0 picks a free one.
	Port int
	// Log receives the emulator's own output.
	Log io.Writer
}

// SQS is a running SQS emulator: local-aws-sqs, from infra's lock file.
// It speaks SQS's JSON protocol (the one aws-sdk-go-v2's SQS client
// sends), delays (DelaySeconds), visibility timeouts and redrive to a
// dead-letter queue (RedrivePolicy's maxReceiveCount). goaws v0.4.5 speaks
// only the older Query protocol, which aws-sdk-go-v2 no longer sends, and
// ElasticMQ is no npm package; so this one. It keeps its queues in memory.
type SQS struct {
	URL string
	e   Emulators
}

// StartSQS starts the emulator and returns when it answers. It is apart
// from Start: only the stacks that use queues pay for it.
func StartSQS(ctx context.Context, o SQSOptions) (*SQS, error) {
	if err := defaults(&o.Root, &o.Log); err != nil {
		return nil, err
	}
	mod := filepath.Join(o.Root, "infra", "node_modules", "local-aws-sqs")
	if _, err := os.Stat(filepath.Join(mod, "package.json")); err != nil {
		return nil, fmt.Errorf("local-aws-sqs is not installed: run `make deps` (npm ci in infra/) first")
	}
	var err error
	if o.Port == 0 {
		if o.Port, err = FreePort(); err != nil {
			return nil, err
		}
	} else if err := portFree(o.Port); err != nil {
		return nil, err
	}
	s := &SQS{URL: "http://127.0.0.1:" + strconv.Itoa(o.Port)}
	// Queue URLs name the emulator's own address, so that a client follows
	// them back to it.
	script := fmt.Sprintf(`require(%q).createSqsServer({port: %d, hostname: "127.0.0.1", baseUrl: "/",
  emulateQueueCreationLifecycle: false, emulateLazyQueues: false})
  .then(() => console.log("local-aws-sqs listening on %d"))
  .catch((e) => { console.error(e); process.exit(1); });`, mod, o.Port, o.Port)
	if err := s.e.spawn("sqs", "node", []string{"-e", script}, o.Root, nil, o.Log); err != nil {
		return nil, err
	}
	deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := waitHTTP(deadline, s.URL+"/"); err != nil {
		s.Stop()
		return nil, fmt.Errorf("local-aws-sqs did not start at %s: %w", s.URL, err)
	}
	return s, nil
}

// Stop stops the emulator.
func (s *SQS) Stop() { s.e.Stop() }
