package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const healthAbout = `Asks URL with GET and succeeds (exit status 0) when it answers 2xx within
the timeout; otherwise fails (exit status 1) naming the URL and the status
or the error. Redirects are not followed: a probe that redirects is a
mistake. It is the containers' healthcheck, since the image has no shell
and no curl:

  chorusbill health http://127.0.0.1:8080/readyz   (the dashboard)
  chorusbill health http://127.0.0.1:9464/readyz   (a worker's metrics listener)
  chorusbill health http://127.0.0.1:8790/_sandbox/clock   (the sandbox, --admin)`

// healthBodyLimit bounds how much of a failing answer is quoted: /readyz
// says which dependency is down in a line or two.
const healthBodyLimit = 200

func runHealth(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("health", "[--timeout DURATION] URL", healthAbout)
	timeout := fs.Duration("timeout", 3*time.Second, "give up after `DURATION` (the healthcheck's own timeout should be longer)")
	var target string
	if n := len(args); n > 0 && !strings.HasPrefix(args[n-1], "-") {
		target, args = args[n-1], args[:n-1]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if target == "" {
		return usagef("say which URL to ask, e.g. http://127.0.0.1:8080/readyz")
	}
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("%q is not an http:// or https:// URL", target)
	}
	if *timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	status, err := probe(ctx, target, *timeout)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %s\n", target, status)
	return nil
}

// probe asks target once and returns its status when it is 2xx.
func probe(ctx context.Context, target string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", fmt.Errorf("ask %s: %w", target, err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("ask %s: no answer within %s", target, timeout)
		}
		return "", fmt.Errorf("ask %s: %w", target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return resp.Status, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, healthBodyLimit))
	if said := strings.Join(strings.Fields(string(body)), " "); said != "" {
		return "", fmt.Errorf("%s answered %s: %s", target, resp.Status, said)
	}
	return "", fmt.Errorf("%s answered %s", target, resp.Status)
}
