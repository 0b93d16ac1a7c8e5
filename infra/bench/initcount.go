package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// functionNames lists every function under functions/ (each directory with
// a main.go), so that functions other work adds are measured too.
func functionNames(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, "functions", e.Name(), "main.go")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

var collected = regexp.MustCompile(`Collected : (\d+)`)

// countInit runs the bootstrap once under callgrind without
// AWS_LAMBDA_RUNTIME_API: it runs its whole init (package initialisation,
// configuration, clients) and exits in lambda.Start, so the instructions
// counted are the init's own. One thread, no async preemption: the count
// then varies by well under a percent between runs.
func countInit(ctx context.Context, bin string, env []string) (int64, error) {
	cmd := exec.CommandContext(ctx, "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", bin)
	cmd.Env = append(env, "GODEBUG=asyncpreemptoff=1", "GOMAXPROCS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run() // the bootstrap exits non-zero in lambda.Start, by design
	m := collected.FindSubmatch(stderr.Bytes())
	if m == nil {
		return 0, fmt.Errorf("%s: no count from callgrind:\n%s", bin, stderr.String())
	}
	return strconv.ParseInt(string(m[1]), 10, 64)
}

func medianInt(v []int64) int64 {
	s := append([]int64{}, v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func medianFloat(v []float64) float64 {
	s := append([]float64{}, v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// rieInit measures one init (rieInitOnce), again when the port picked for
// the emulator was taken meanwhile by another process on the machine
// (freeAddr closes its listener before the emulator binds): that run
// measured nothing.
func rieInit(ctx context.Context, rie, bin string, env []string) (float64, error) {
	for try := 1; ; try++ {
		v, err := rieInitOnce(ctx, rie, bin, env)
		if err == nil || try == 5 || !strings.Contains(err.Error(), "address already in use") {
			return v, err
		}
	}
}

// rieInitOnce starts AWS's Runtime Interface Emulator with the bootstrap,
// invokes it once (the emulator initialises on the first invoke) and reads
// the init duration from the emulator's own INIT REPORT line: from the
// runtime's start to its first /next, as Lambda reports it.
func rieInitOnce(ctx context.Context, rie, bin string, env []string) (float64, error) {
	api, err := freeAddr()
	if err != nil {
		return 0, err
	}
	front, err := freeAddr()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.Command(rie, "--log-level", "info", "--runtime-api-address", api, "--runtime-interface-emulator-address", front, bin)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the emulator and the bootstrap it started
		_ = cmd.Wait()
	}()
	found := make(chan float64, 1)
	var log bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := out.Read(buf)
			log.Write(buf[:n])
			if m := initReport.FindSubmatch(log.Bytes()); m != nil {
				v, _ := strconv.ParseFloat(string(m[1]), 64)
				found <- v
				return
			}
			if err != nil {
				close(found)
				return
			}
		}
	}()
	go func() {
		// Invoke as soon as the emulator listens; the answer does not matter.
		for ctx.Err() == nil {
			c, err := net.DialTimeout("tcp", front, time.Second)
			if err != nil {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			fmt.Fprintf(c, "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: %s\r\nContent-Length: 2\r\n\r\n{}", front)
			<-ctx.Done()
			c.Close()
			return
		}
	}()
	select {
	case v, ok := <-found:
		if !ok {
			return 0, fmt.Errorf("%s: the emulator ended without an INIT REPORT:\n%s", bin, strings.TrimSpace(log.String()))
		}
		return v, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("%s: no INIT REPORT in 30 s", bin)
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
