// Command bench is `make bench`: the figures of docs/performance.md,
// measured on this machine. It prints, side by side in one run, each
// function's init time against a hello-world aws-lambda-go binary built the
// same way; the size of each function for arm64 with the release flags;
// the AWS calls each operation makes (from the e2e test that holds them to
// the minimum); the capacity a page of a list and a sweep consume at 100
// and at 100,000 users; and the Go benchmarks of the handler path.
package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"golang.org/x/sync/errgroup"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/lambdarun"
	"github.com/portalaccess/portalaccess/infra/local/provision"
	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

func main() {
	runs := flag.Int("runs", 30, "init-time runs per function (the emulator's INIT REPORT)")
	counts := flag.Int("counts", 5, "callgrind runs per function")
	write := flag.Bool("write-baseline", false, "record this run's instruction counts in "+baselineFile)
	big := flag.Int("users", 100_000, "users in the large table")
	only := flag.String("only", "init,size,calls,capacity,backlog,bulk,import,go", "which parts to run (also: init-lambdarun)")
	due := flag.String("due", "1000", "backlog sizes of due invitations for the sweep, comma-separated")
	access := flag.String("access", "1000", "backlog sizes of members whose accessUntil passed, comma-separated (0: none)")
	bound := flag.Duration("sweep-bound", 55*time.Second, "a sweep run's bound (the function's timeout less 5 s)")
	importRows := flag.Int("import", 1000, "rows of the import part (up to 10,000)")
	importRate := flag.Int("import-rate", 200, "the import part's IMPORT_SEND_RATE (invitations a second, all consumers)")
	importConc := flag.Int("import-concurrency", 0, "the import part's IMPORT_CONCURRENCY (0: the stack's default)")
	pick := flag.String("functions", "", "only these functions, comma-separated (default: every one under functions/)")
	flag.Parse()
	root, err := emulators.FindRoot()
	if err != nil {
		fail(err)
	}
	names, err := functionNames(root)
	if err != nil {
		fail(err)
	}
	if *pick != "" {
		names = strings.Split(*pick, ",")
	}
	var failed []string
	for _, part := range strings.Split(*only, ",") {
		var err error
		switch part {
		case "init":
			err = initFigures(root, names, *pick, *counts, *runs, *write)
		case "init-lambdarun":
			err = initTimes(root, names, *runs)
		case "size":
			err = sizes(root, names)
		case "calls":
			err = goTest(root, "-count=1", "-run", "TestAWSCallsPerOperation", "-v", "./infra/local/e2e/")
		case "capacity":
			err = capacity(*big)
		case "backlog":
			err = backlog(sizesOf(*due), sizesOf(*access), *bound)
		case "bulk":
			err = bulk()
		case "import":
			err = importRun(*importRows, *importRate, *importConc)
		case "go":
			err = goTest(root, "-run", "^$", "-bench", ".", "-benchmem", "./shared/httpapi/", "./shared/api/")
		}
		if err != nil {
			// The other parts still run: a busy machine failing the time
			// budget should not hide the sizes, calls and capacity.
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", part, err)
			failed = append(failed, part)
		}
	}
	if len(failed) > 0 {
		fail(fmt.Errorf("failed: %s", strings.Join(failed, ", ")))
	}
}

// sizesOf reads a comma-separated list of backlog sizes; 0 is none.
func sizesOf(list string) []int {
	var ns []int
	for _, d := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil {
			fail(err)
		}
		if n > 0 {
			ns = append(ns, n)
		}
	}
	return ns
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// functionConfig is the configuration every function reads at init.
func functionConfig() map[string]string {
	secret := base64.StdEncoding.EncodeToString(make([]byte, 32))
	return map[string]string{"TABLE_NAME": "t", "USER_POOL_ID": "us-east-1_x", "APP_CLIENT_ID": "c", "PORTAL_URL": "https://portal.example",
		"SENDER_EMAIL": "no-reply@example.com", "CURSOR_SECRET": secret}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration{}, d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// initTimes starts each bootstrap runs times, interleaved with the hello
// world, and times process start to the first request for an event.
func initTimes(root string, names []string, runs int) error {
	fmt.Println("\n## Init time (this machine, release flags; process start → first /next)")
	dir, hello, err := buildWithHello(root, names, "", "", filepath.Join("hello", "bootstrap"))
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := functionConfig()
	measure := func(bin, name string) (time.Duration, error) {
		r, err := lambdarun.Start(context.Background(), bin, lambdarun.Env(name, env))
		if err != nil {
			return 0, err
		}
		d := r.Init
		r.Stop()
		return d, nil
	}
	var helloTimes []time.Duration
	times := map[string][]time.Duration{}
	for range runs {
		for _, n := range names {
			h, err := measure(hello, "hello")
			if err != nil {
				return err
			}
			helloTimes = append(helloTimes, h)
			d, err := measure(filepath.Join(dir, n, "bootstrap"), n)
			if err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			times[n] = append(times[n], d)
		}
	}
	hm := median(helloTimes)
	fmt.Printf("| function | median init | × hello world |\n| --- | --- | --- |\n| hello world (aws-lambda-go) | %s | 1.00 |\n", hm.Round(10*time.Microsecond))
	worst := 0.0
	for _, n := range names {
		m := median(times[n])
		ratio := float64(m) / float64(hm)
		worst = max(worst, ratio)
		fmt.Printf("| %s | %s | %.2f |\n", n, m.Round(10*time.Microsecond), ratio)
	}
	fmt.Printf("\nworst ratio %.2f (target 1.5); %d runs of each, interleaved with the hello world\n", worst, runs)
	return nil
}

// buildWithHello builds the functions and the hello world (aws-lambda-go,
// at the path hello below the directory, returned) with the release flags
// into a new temporary directory, for goos/goarch ("": this machine's);
// the caller removes it.
func buildWithHello(root string, names []string, goos, goarch, hello string) (dir, helloBin string, err error) {
	if dir, err = os.MkdirTemp("", "bench-"+goarch); err != nil {
		return "", "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
			dir = ""
		}
	}()
	if err := lambdarun.Build(context.Background(), root, dir, goos, goarch, lambdarun.Release, names...); err != nil {
		return "", "", err
	}
	helloBin = filepath.Join(dir, hello)
	cmd := exec.Command("go", append(append([]string{"build"}, lambdarun.Release...), "-o", helloBin, "./infra/bench/hello")...)
	cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if goos != "" {
		cmd.Env = append(cmd.Env, "GOOS="+goos, "GOARCH="+goarch)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("%v: %s", err, out)
	}
	return dir, helloBin, nil
}

// sizes builds every function for arm64 with the release flags.
func sizes(root string, names []string) error {
	fmt.Println("\n## Binary size (linux/arm64, CGO_ENABLED=0, -tags lambda.norpc -trimpath -ldflags \"-s -w\")")
	dir, hello, err := buildWithHello(root, names, "linux", "arm64", "hello")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fi, _ := os.Stat(hello)
	fmt.Printf("| function | MB |\n| --- | --- |\n| hello world (aws-lambda-go) | %.1f |\n", float64(fi.Size())/1e6)
	var biggest int64
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(dir, n, "bootstrap"))
		if err != nil {
			return err
		}
		biggest = max(biggest, fi.Size())
		fmt.Printf("| %s | %.1f |\n", n, float64(fi.Size())/1e6)
	}
	fmt.Printf("\nlargest %.1f MB (target under 12 MB)\n", float64(biggest)/1e6)
	return nil
}

func goTest(root string, args ...string) error {
	cmd := exec.Command("go", append([]string{"test"}, args...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "|") || strings.HasPrefix(t, "Benchmark") || strings.HasPrefix(t, "goos") || strings.HasPrefix(t, "cpu") {
			fmt.Println(t)
		}
	}
	if err != nil {
		return fmt.Errorf("go test %v: %v\n%s", args, err, out)
	}
	return nil
}

// capacity measures a page of a category and a sweep of 10 due
// invitations, at 100 users and again at `big`.
func capacity(big int) error {
	fmt.Println("\n## Consumed capacity (DynamoDB Local's ReturnConsumedCapacity)")
	ctx := context.Background()
	em, err := emulators.Start(ctx, emulators.Options{Only: []string{"dynamodb"}})
	if err != nil {
		return err
	}
	defer em.Stop()
	db := dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("l", "l", "")},
		func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(em.DynamoURL) })
	if err := provision.Table(ctx, db, "bench"); err != nil {
		return err
	}
	var m opMeter
	st := store.New(db, "bench")
	st.Capacity = m.Add
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	sweeper := app.Env{Config: config.Config{InvitationTTL: config.DefaultInvitationTTL}, Store: st,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}.Sweeper()
	small := domain.NewID(domain.PrefixCustomer)
	var others []string
	for range 100 {
		others = append(others, domain.NewID(domain.PrefixCustomer))
	}
	// The customers first: a member is written into a customer that
	// exists (CreateMember checks its standing).
	for _, id := range append([]string{small}, others...) {
		cu := domain.Customer{ID: id, Name: "Bench", Locale: "en", CreatedAt: now, UpdatedAt: now, Version: 1}
		ev := domain.NewEvent(now, domain.SystemActor, domain.ActionCustomerCreated, domain.Target{Kind: domain.TargetCustomer, ID: id}, domain.CustomerScope(id))
		if err := st.CreateCustomer(ctx, cu, ev, state.Extras{}); err != nil {
			return err
		}
	}
	// The migrations (the counts' backfill, the roles') run once, on a
	// table's first sweeps: finish them, so that what is measured is the
	// sweep's own work, as on every run after them.
	for range 100 {
		rep, err := sweeper.Run(ctx, time.Minute)
		if err != nil {
			return err
		}
		if !rep.More {
			break
		}
	}
	seedN := func(customers []string, n int, prefix string, exp func(i int) time.Time) error {
		// Members are written as the product writes them, one transaction
		// each, many at once.
		var g errgroup.Group
		g.SetLimit(32)
		for i := range n {
			g.Go(func() error {
				_, hash := domain.NewToken()
				status := []domain.Status{domain.StatusEnabled, domain.StatusDisabled, domain.StatusUnconfirmed}[i%3]
				m := domain.Member{ID: domain.NewID(domain.PrefixUser), CustomerID: customers[i%len(customers)],
					Email: fmt.Sprintf("%s%07d@acme.example", prefix, i), Name: "x", Status: status, Version: 1, CreatedAt: now, UpdatedAt: now}
				if status == domain.StatusUnconfirmed {
					m.Invitation = &domain.Invitation{State: domain.InvitationPending, TokenHash: hash, ExpiresAt: exp(i), Delivery: domain.DeliverySent}
				}
				ev := domain.NewEvent(now, domain.SystemActor, "user.seeded", domain.TargetOf(&m), m.Scope())
				return st.CreateMember(ctx, state.NewMember{Member: m, Event: ev})
			})
		}
		return g.Wait()
	}
	later := func(int) time.Time { return now.Add(72 * time.Hour) }
	due := func(int) time.Time { return now.Add(-time.Minute) }
	var first []float64 // the page's and the sweep's, at 100 users
	measure := func(label string) error {
		m.Take()
		if _, err := st.ListMembers(ctx, domain.CustomerScope(small), domain.StatusUnconfirmed, "", 10, nil); err != nil {
			return err
		}
		page := readUnits(m.Take())
		if err := seedN([]string{small}, 30, "due"+label+"-", due); err != nil { // 10 of them unconfirmed and due
			return err
		}
		m.Take()
		rep, err := sweeper.Run(ctx, time.Minute)
		if err != nil {
			return err
		}
		swept := readUnits(m.Take())
		fmt.Printf("| %s | %.1f | %.1f (%d expired) |\n", label, page, swept, rep.Expired)
		switch {
		case rep.Expired != 10:
			return fmt.Errorf("the sweep expired %d invitations, 10 were due", rep.Expired)
		case first == nil:
			first = []float64{page, swept}
		case page != first[0] || swept != first[1]:
			return fmt.Errorf("the reads grew with the table: a page %.1f then %.1f RCU, the sweep %.1f then %.1f", first[0], page, first[1], swept)
		}
		return nil
	}
	fmt.Println("| users in the table | a page of 10 unconfirmed users (RCU) | sweeping 10 due invitations (RCU) |\n| --- | --- | --- |")
	start := time.Now()
	if err := seedN([]string{small}, 100, "small", later); err != nil {
		return err
	}
	if err := measure("100"); err != nil {
		return err
	}
	if err := seedN(others, big-130, "big", later); err != nil {
		return err
	}
	if err := measure(fmt.Sprintf("%d", big)); err != nil {
		return err
	}
	fmt.Printf("\n(seeding and measuring took %.0fs)\n", time.Since(start).Seconds())
	return nil
}
