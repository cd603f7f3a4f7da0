package deploy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/dashboard"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
	"go.yaml.in/yaml/v3"
)

// The files under test, from this directory.
const (
	composePath    = "../docker-compose.yml"
	dockerfilePath = "../Dockerfile"
	goModPath      = "../go.mod"
	prometheusPath = "prometheus/prometheus.yml"
	grafanaJSON    = "grafana/dashboards/chorusbill.json"
	grafanaSources = "grafana/provisioning/datasources/prometheus.yml"
	grafanaBoards  = "grafana/provisioning/dashboards/chorusbill.yml"
	// chorusbillBin is where the image puts the binary; the healthchecks
	// call it, there being no shell in the image.
	chorusbillBin = "/usr/local/bin/chorusbill"
)

// The services a `docker compose up` must give, and the one-shot commands
// that need no healthcheck (they exit).
var (
	required = []string{"redis", "postgres", "sandbox", "worker", "dashboard"}
	oneShot  = map[string]bool{"migrate": true, "cli": true}
)

// composeFile is what the test reads of docker-compose.yml.
type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Expose      []string          `yaml:"expose"`
	Volumes     []string          `yaml:"volumes"`
	Profiles    []string          `yaml:"profiles"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Deploy struct {
		Replicas int `yaml:"replicas"`
	} `yaml:"deploy"`
	StopGracePeriod string `yaml:"stop_grace_period"`
	Healthcheck     *struct {
		Test     []string `yaml:"test"`
		Interval string   `yaml:"interval"`
		Timeout  string   `yaml:"timeout"`
		Retries  int      `yaml:"retries"`
	} `yaml:"healthcheck"`
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	readYAML(t, composePath, &c)
	if len(c.Services) == 0 {
		t.Fatalf("%s: no services", composePath)
	}
	return c
}

// dockerfile is what the test reads of the Dockerfile: the FROM lines,
// the stage names, and the last stage's USER, ENV and CMD.
type dockerfile struct {
	froms  []string          // the images, in order
	stages map[string]bool   // AS names
	user   string            // the last stage's USER
	env    map[string]string // the last stage's ENV
	cmd    []string          // the last stage's CMD (exec form)
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := dockerfile{stages: map[string]bool{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			args := slices.DeleteFunc(fields[1:], func(s string) bool { return strings.HasPrefix(s, "--") })
			if len(args) == 0 {
				t.Fatalf("%s:%d: FROM without an image", dockerfilePath, n)
			}
			d.froms = append(d.froms, args[0])
			if len(args) == 3 && strings.EqualFold(args[1], "AS") {
				d.stages[args[2]] = true
			}
			d.user, d.env, d.cmd = "", map[string]string{}, nil
		case "USER":
			d.user = fields[1]
		case "ENV":
			for _, kv := range fields[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("%s:%d: write ENV KEY=VALUE", dockerfilePath, n)
				}
				d.env[k] = v
			}
		case "CMD":
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(sc.Text(), fields[0]))), &d.cmd); err != nil {
				t.Fatalf("%s:%d: CMD in exec form (JSON), since the image has no shell: %v", dockerfilePath, n, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

var (
	// versionTag is a pinned version: 15.18, 7.4.9, v3.5.0, 1.26.8-bookworm.
	versionTag = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?([-.][a-z0-9.-]+)?$`)
	digest     = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// pinned says why image (name[:tag][@digest]) is not pinned, or "".
func pinned(image string) string {
	ref, dig, byDigest := strings.Cut(image, "@")
	if byDigest {
		if !digest.MatchString(dig) {
			return fmt.Sprintf("%s: %q is not a sha256 digest", image, dig)
		}
		return ""
	}
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	if colon < slash+1 {
		return image + ": no tag (it means latest)"
	}
	tag := ref[colon+1:]
	if tag == "latest" || !versionTag.MatchString(tag) {
		return fmt.Sprintf("%s: tag %q is not a version (pin a version, or a digest for a tag without one)", image, tag)
	}
	return ""
}

func TestPinned(t *testing.T) {
	for image, ok := range map[string]bool{
		"postgres:15.18": true, "redis:7.4.9": true, "prom/prometheus:v3.5.0": true, "golang:1.26.8-bookworm": true,
		"gcr.io/distroless/static-debian12:nonroot@sha256:" + strings.Repeat("ab", 32): true,
		"postgres": false, "postgres:15": false, "redis:latest": false, "gcr.io/distroless/static-debian12:nonroot": false,
		"localhost:5000/chorusbill": false, "gcr.io/x@sha256:abc": false,
	} {
		if got := pinned(image) == ""; got != ok {
			t.Errorf("pinned(%q) = %q", image, pinned(image))
		}
	}
}

func TestComposeServices(t *testing.T) {
	c := readCompose(t)
	for _, name := range required {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("no service %q", name)
		}
	}
	if n := c.Services["worker"].Deploy.Replicas; n != 2 {
		t.Errorf("worker: %d replicas, want 2", n)
	}
	for name, s := range c.Services {
		if oneShot[name] {
			continue
		}
		if len(s.Profiles) == 0 && !slices.Contains(required, name) {
			t.Errorf("%s: started by `docker compose up` but not among the services the issue asks for (%v): give it a profile", name, required)
		}
		h := s.Healthcheck
		if h == nil || len(h.Test) < 2 {
			t.Errorf("%s: no healthcheck", name)
			continue
		}
		if h.Test[0] != "CMD" && h.Test[0] != "CMD-SHELL" {
			t.Errorf("%s: healthcheck %v: begin with CMD or CMD-SHELL", name, h.Test)
		}
		if h.Interval == "" || h.Timeout == "" || h.Retries == 0 {
			t.Errorf("%s: healthcheck without interval, timeout or retries", name)
		}
		for dep, d := range s.DependsOn {
			other, ok := c.Services[dep]
			switch {
			case !ok:
				t.Errorf("%s: depends on %q, which is no service", name, dep)
			case oneShot[dep] && d.Condition != "service_completed_successfully":
				t.Errorf("%s: depends on the one-shot %s with %q", name, dep, d.Condition)
			case !oneShot[dep] && d.Condition != "service_healthy":
				t.Errorf("%s: depends on %s with %q: wait for it to be healthy", name, dep, d.Condition)
			case len(other.Profiles) > 0 && !slices.Equal(other.Profiles, s.Profiles):
				t.Errorf("%s: depends on %s, which is only in profiles %v", name, dep, other.Profiles)
			}
		}
	}
	if s := c.Services["migrate"]; !slices.Equal(s.Command, []string{"migrate"}) {
		t.Errorf("migrate runs %v: a one-shot must exit", s.Command)
	}
	if s := c.Services["cli"]; !slices.Equal(s.Profiles, []string{"cli"}) {
		t.Errorf("cli: profiles %v, want [cli] (it is for `docker compose run`)", s.Profiles)
	}
}

// listen is where a chorusbill service's process listens inside its
// container, by what it serves: "dashboard", "metrics" and "sandbox".
func listen(t *testing.T, s service, d dockerfile) map[string]string {
	t.Helper()
	env := func(k, def string) string {
		if v, ok := s.Environment[k]; ok {
			return v
		}
		if v, ok := d.env[k]; ok {
			return v
		}
		return def
	}
	out := map[string]string{}
	switch {
	case slices.Equal(s.Command, []string{"serve"}):
		out["dashboard"] = env(app.EnvDashboardAddr, app.DefaultDashboardAddr)
	case len(s.Command) > 0 && s.Command[0] == "sandbox":
		i := slices.Index(s.Command, "--addr")
		if i < 0 || i+1 >= len(s.Command) {
			t.Fatalf("sandbox %v: give --addr (its default is loopback)", s.Command)
		}
		out["sandbox"] = s.Command[i+1]
	}
	if v := env(app.EnvMetricsAddr, ""); v != "" {
		cfg, err := app.LoadConfig(func(k string) string {
			if k == app.EnvMetricsAddr {
				return v
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		out["metrics"] = cfg.MetricsAddr // a bare :PORT means loopback
	}
	return out
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// TestComposeChorusbill checks the services that run the image: their
// healthchecks run the binary (no shell in the image) and ask a port the
// process listens on; the dashboard is reachable from the host, the metrics
// listeners from the network but not from the host.
// A stopping worker lets its tasks finish for CHORUSBILL_SHUTDOWN_TIMEOUT
// (90 s unless set); compose kills a container after its stop_grace_period
// (10 s unless set): the grace must be the longer, or every `docker compose
// down` kills tasks mid-way instead of handing them back.
func TestComposeWorkerStopsInTime(t *testing.T) {
	c := readCompose(t)
	w := c.Services["worker"]
	timeout, grace := worker.DefaultConfig().ShutdownTimeout, 10*time.Second
	if v := w.Environment[app.EnvShutdownTimeout]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("worker: %s %q: %v", app.EnvShutdownTimeout, v, err)
		}
		timeout = d
	}
	if w.StopGracePeriod != "" {
		d, err := time.ParseDuration(w.StopGracePeriod)
		if err != nil {
			t.Fatalf("worker: stop_grace_period %q: %v", w.StopGracePeriod, err)
		}
		grace = d
	}
	if grace <= timeout {
		t.Errorf("worker: stop_grace_period %s is not longer than its shutdown timeout %s", grace, timeout)
	}
}

func TestComposeChorusbill(t *testing.T) {
	c := readCompose(t)
	d := readDockerfile(t)
	for name, s := range c.Services {
		if s.Build == nil {
			continue
		}
		if s.Image != "" {
			t.Errorf("%s: builds the image and names %q: one or the other", name, s.Image)
		}
		addrs := listen(t, s, d)
		for what, addr := range addrs {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				t.Errorf("%s: %s address %q: %v", name, what, addr, err)
			} else if isLoopback(host) {
				t.Errorf("%s: the %s listens on %s, the container's own loopback: unreachable from anywhere else", name, what, addr)
			}
		}
		if oneShot[name] || s.Healthcheck == nil {
			continue
		}
		test := s.Healthcheck.Test
		if len(test) != 4 || test[0] != "CMD" || test[1] != chorusbillBin || test[2] != "health" {
			t.Errorf("%s: healthcheck %v: the image has no shell nor curl; use [CMD, %s, health, URL]", name, test, chorusbillBin)
			continue
		}
		u, err := url.Parse(test[3])
		if err != nil {
			t.Errorf("%s: healthcheck URL %q: %v", name, test[3], err)
			continue
		}
		served := false
		for what, addr := range addrs {
			_, port, _ := net.SplitHostPort(addr)
			if port != u.Port() {
				continue
			}
			served = true
			switch what {
			case "dashboard", "metrics":
				if u.Path != "/readyz" && u.Path != "/healthz" {
					t.Errorf("%s: healthcheck asks %s: the %s serves /readyz and /healthz", name, u.Path, what)
				}
			case "sandbox":
				if !strings.HasPrefix(u.Path, "/_sandbox/") || !slices.Contains(s.Command, "--admin") {
					t.Errorf("%s: healthcheck asks %s: ask an admin endpoint (/_sandbox/…, with --admin)", name, u.Path)
				}
			}
		}
		if !served || !isLoopback(u.Hostname()) {
			t.Errorf("%s: healthcheck asks %s, where the process does not listen (%v)", name, u.Host, addrs)
		}
	}

	// The dashboard: reachable from the host, on its loopback only while
	// the cookies are not Secure (plain HTTP).
	dash := c.Services["dashboard"]
	_, port, _ := net.SplitHostPort(listen(t, dash, d)["dashboard"])
	published := false
	for _, p := range dash.Ports {
		parts := strings.Split(p, ":")
		if parts[len(parts)-1] != port {
			continue
		}
		published = true
		if insecure, _ := strconv.ParseBool(dash.Environment[app.EnvInsecureCookies]); insecure && (len(parts) != 3 || !isLoopback(parts[0])) {
			t.Errorf("dashboard: cookies without Secure (plain HTTP) but port %q published beyond the host's loopback", p)
		}
	}
	if !published {
		t.Errorf("dashboard: listens on port %s but publishes %v", port, dash.Ports)
	}

	// Metrics listeners have no authentication: never published.
	for name, s := range c.Services {
		if s.Build == nil {
			continue
		}
		if addr, ok := listen(t, s, d)["metrics"]; ok {
			_, port, _ := net.SplitHostPort(addr)
			for _, p := range s.Ports {
				parts := strings.Split(p, ":")
				if parts[len(parts)-1] == port {
					t.Errorf("%s: publishes its metrics port (%s), which has no authentication", name, p)
				}
			}
		}
	}
}

func TestComposeImagesPinned(t *testing.T) {
	c := readCompose(t)
	for name, s := range c.Services {
		switch {
		case s.Build != nil:
			// Built from the Dockerfile, whose FROM lines are checked.
		case s.Image == "":
			t.Errorf("%s: neither image nor build", name)
		default:
			if why := pinned(s.Image); why != "" {
				t.Errorf("%s: %s", name, why)
			}
		}
	}
}

func TestDockerfile(t *testing.T) {
	d := readDockerfile(t)
	if len(d.froms) == 0 {
		t.Fatal("no FROM")
	}
	goMod, err := os.ReadFile(goModPath)
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if goLine == nil {
		t.Fatal("go.mod: no go line")
	}
	for _, from := range d.froms {
		if d.stages[from] {
			continue // an earlier stage
		}
		if why := pinned(from); why != "" {
			t.Errorf("FROM %s", why)
		}
		if name, tag, ok := strings.Cut(from, ":"); ok && name == "golang" &&
			!regexp.MustCompile(`^`+regexp.QuoteMeta(string(goLine[1]))+`\.\d+\b`).MatchString(tag) {
			t.Errorf("FROM %s: go.mod asks for go %s: pin a patch release of it (%s.N)", from, goLine[1], goLine[1])
		}
	}
	if d.user == "" || d.user == "root" || d.user == "0" || strings.HasPrefix(d.user, "root:") || strings.HasPrefix(d.user, "0:") {
		t.Errorf("the image runs as %q: run as nonroot", d.user)
	}
	addr, ok := d.env[app.EnvDashboardAddr]
	if !ok {
		t.Fatalf("no ENV %s: the dashboard would listen on %s, the container's own loopback", app.EnvDashboardAddr, app.DefaultDashboardAddr)
	}
	if host, _, err := net.SplitHostPort(addr); err != nil || isLoopback(host) {
		t.Errorf("ENV %s=%s: unreachable from outside the container", app.EnvDashboardAddr, addr)
	}
	// The demo's dashboard listens on --addr, loopback by default.
	if len(d.cmd) > 0 && d.cmd[0] == "demo" {
		i := slices.Index(d.cmd, "--addr")
		if i < 0 || i+1 >= len(d.cmd) {
			t.Errorf("CMD %v: the demo's dashboard would listen on the container's own loopback: give --addr", d.cmd)
		} else if host, _, err := net.SplitHostPort(d.cmd[i+1]); err != nil || isLoopback(host) {
			t.Errorf("CMD %v: --addr unreachable from outside the container", d.cmd)
		}
	}
}

// prometheusConfig is what the test reads of prometheus.yml.
type prometheusConfig struct {
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
		DNSSDConfigs []struct {
			Names []string `yaml:"names"`
			Type  string   `yaml:"type"`
			Port  int      `yaml:"port"`
		} `yaml:"dns_sd_configs"`
	} `yaml:"scrape_configs"`
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// hostPath maps a path inside a compose service's container to the file of
// this repository mounted there ("" if none is).
func hostPath(s service, inContainer string) string {
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || !strings.HasPrefix(parts[0], "./") {
			continue
		}
		rel, err := filepath.Rel(parts[1], inContainer)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		return filepath.Join("..", parts[0], rel)
	}
	return ""
}

// samePath says whether a and b, relative to this directory, name one file.
func samePath(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}

// TestPrometheus checks that prometheus.yml is what the prometheus service
// reads, that its targets are services and ports where a chorusbill process
// serves /metrics, that every such process is scraped, and that its rule
// files are there.
func TestPrometheus(t *testing.T) {
	c := readCompose(t)
	d := readDockerfile(t)
	var cfg prometheusConfig
	readYAML(t, prometheusPath, &cfg)
	prom, ok := c.Services["prometheus"]
	if !ok {
		t.Fatal("no prometheus service")
	}
	if !slices.Equal(prom.Profiles, []string{"monitoring"}) {
		t.Errorf("prometheus: profiles %v, want [monitoring]", prom.Profiles)
	}
	i := slices.IndexFunc(prom.Command, func(s string) bool { return strings.HasPrefix(s, "--config.file=") })
	if i < 0 {
		t.Fatal("prometheus: no --config.file")
	}
	if got := hostPath(prom, strings.TrimPrefix(prom.Command[i], "--config.file=")); !samePath(got, prometheusPath) {
		t.Errorf("prometheus reads %s, mounted from %q, not %s", prom.Command[i], got, prometheusPath)
	}
	for _, f := range cfg.RuleFiles {
		p := hostPath(prom, f)
		if _, err := os.Stat(p); p == "" || err != nil {
			t.Errorf("rule file %s: not mounted from this repository (%q)", f, p)
		}
	}

	// Where each service serves /metrics.
	metricsPort := map[string]string{}
	for name, s := range c.Services {
		if s.Build == nil {
			continue
		}
		if addr, ok := listen(t, s, d)["metrics"]; ok {
			_, metricsPort[name], _ = net.SplitHostPort(addr)
		}
	}
	scraped := map[string]bool{}
	target := func(job, host, port string) {
		want, ok := metricsPort[host]
		switch {
		case !ok:
			t.Errorf("job %s: %s is no compose service serving metrics (%v)", job, host, metricsPort)
		case port != want:
			t.Errorf("job %s: %s:%s, but %s serves metrics on port %s", job, host, port, host, want)
		}
		scraped[host] = true
	}
	if len(cfg.ScrapeConfigs) == 0 {
		t.Fatal("no scrape_configs")
	}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				host, port, err := net.SplitHostPort(tg)
				if err != nil {
					t.Errorf("job %s: target %q: %v", sc.JobName, tg, err)
					continue
				}
				target(sc.JobName, host, port)
			}
		}
		for _, dns := range sc.DNSSDConfigs {
			if dns.Type != "A" {
				t.Errorf("job %s: dns_sd_configs type %q: compose's DNS answers A records", sc.JobName, dns.Type)
			}
			for _, n := range dns.Names {
				target(sc.JobName, n, strconv.Itoa(dns.Port))
			}
		}
	}
	for name := range metricsPort {
		if !scraped[name] {
			t.Errorf("%s serves metrics but no job scrapes it", name)
		}
	}
	// Several replicas need service discovery: a static target would
	// reach one container of them at a time.
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				host, _, _ := net.SplitHostPort(tg)
				if c.Services[host].Deploy.Replicas > 1 {
					t.Errorf("job %s: %s has %d replicas: scrape them with dns_sd_configs", sc.JobName, host, c.Services[host].Deploy.Replicas)
				}
			}
		}
	}
}

// TestGrafanaProvisioning checks that Grafana reads the dashboard from where
// compose mounts it and that the dashboard's data source is the one
// provisioned, pointing at the prometheus service.
func TestGrafanaProvisioning(t *testing.T) {
	c := readCompose(t)
	g, ok := c.Services["grafana"]
	if !ok {
		t.Fatal("no grafana service")
	}
	if !slices.Equal(g.Profiles, []string{"monitoring"}) {
		t.Errorf("grafana: profiles %v, want [monitoring]", g.Profiles)
	}
	for _, f := range []string{grafanaSources, grafanaBoards} {
		in := "/etc/grafana/provisioning/" + strings.TrimPrefix(f, "grafana/provisioning/")
		if got := hostPath(g, in); !samePath(got, f) {
			t.Errorf("grafana reads %s from %q, not %s", in, got, f)
		}
	}
	var sources struct {
		Datasources []struct {
			UID, Type, URL string
		}
	}
	readYAML(t, grafanaSources, &sources)
	uids := map[string]bool{}
	for _, s := range sources.Datasources {
		u, err := url.Parse(s.URL)
		if err != nil || s.Type != "prometheus" {
			t.Errorf("data source %+v", s)
			continue
		}
		if _, ok := c.Services[u.Hostname()]; !ok || u.Hostname() != "prometheus" {
			t.Errorf("data source %s: %s is not the prometheus service", s.UID, s.URL)
		}
		uids[s.UID] = true
	}
	var boards struct {
		Providers []struct {
			Options struct{ Path string }
		}
	}
	readYAML(t, grafanaBoards, &boards)
	if len(boards.Providers) != 1 {
		t.Fatalf("%s: %d providers, want 1", grafanaBoards, len(boards.Providers))
	}
	if got := hostPath(g, boards.Providers[0].Options.Path); !samePath(got, filepath.Dir(grafanaJSON)) {
		t.Errorf("dashboards read from %s, mounted from %q, not %s", boards.Providers[0].Options.Path, got, filepath.Dir(grafanaJSON))
	}
	for _, p := range grafanaPanels(t) {
		for _, ds := range p.datasources {
			if !uids[ds] {
				t.Errorf("panel %q: data source %q is not provisioned (%v)", p.title, ds, uids)
			}
		}
	}
}

// panelQueries are a Grafana panel's title, data source uids and PromQL
// expressions.
type panelQueries struct {
	title       string
	datasources []string
	exprs       []string
}

func grafanaPanels(t *testing.T) []panelQueries {
	t.Helper()
	data, err := os.ReadFile(grafanaJSON)
	if err != nil {
		t.Fatal(err)
	}
	type datasource struct {
		UID string `json:"uid"`
	}
	type panel struct {
		Title      string      `json:"title"`
		Type       string      `json:"type"`
		Datasource *datasource `json:"datasource"`
		Targets    []struct {
			Datasource *datasource `json:"datasource"`
			Expr       string      `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"` // a collapsed row's
	}
	var board struct {
		UID    string            `json:"uid"`
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(data, &board); err != nil {
		t.Fatalf("%s: %v", grafanaJSON, err)
	}
	if board.UID == "" {
		t.Errorf("%s: no uid", grafanaJSON)
	}
	var out []panelQueries
	var walk func([]json.RawMessage)
	walk = func(raws []json.RawMessage) {
		for _, raw := range raws {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("%s: %v", grafanaJSON, err)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			q := panelQueries{title: p.Title}
			if p.Datasource != nil {
				q.datasources = append(q.datasources, p.Datasource.UID)
			}
			for _, tg := range p.Targets {
				if tg.Datasource != nil {
					q.datasources = append(q.datasources, tg.Datasource.UID)
				}
				q.exprs = append(q.exprs, tg.Expr)
			}
			if len(q.exprs) == 0 {
				t.Errorf("panel %q: no query", p.Title)
			}
			out = append(out, q)
		}
	}
	walk(board.Panels)
	if len(out) == 0 {
		t.Fatalf("%s: no panel", grafanaJSON)
	}
	return out
}

// fakeQueues is one queue, so that the queue metrics have samples.
type fakeQueues struct{}

func (fakeQueues) Queues() ([]string, error) { return []string{"default"}, nil }
func (fakeQueues) GetQueueInfo(q string) (*asynq.QueueInfo, error) {
	return &asynq.QueueInfo{Queue: q, Pending: 1}, nil
}

// registered is every metric name a chorusbill process serves, as PromQL
// sees them (a histogram's _bucket, _sum and _count), from the registry
// that `chorusbill serve` and `chorusbill work` build (dashboard.NewMetrics,
// watching the books, the queues and the pipeline's counters), every source
// fed so that each family has a sample.
func registered(t *testing.T) map[string]bool {
	t.Helper()
	ctx := context.Background()
	books := storetest.SQLite(t)
	if _, _, err := books.StartRun(ctx, 2025, invoice.KindContribution, time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	events := &worker.Metrics{}
	events.Inc("issued")
	m := dashboard.NewMetrics()
	if err := m.Watch(dashboard.Sources{Books: books, Inspector: fakeQueues{}, Pipeline: events}); err != nil {
		t.Fatal(err)
	}
	m.ObserveChorus("deposer/flux", dashboard.ChorusOK, 200, time.Second)
	m.Handler() // registers promhttp's own metrics, as serving does
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range families {
		name := f.GetName()
		// A histogram or a summary has no series of its own name.
		switch f.GetType().String() {
		case "HISTOGRAM":
			out[name+"_bucket"], out[name+"_sum"], out[name+"_count"] = true, true, true
		case "SUMMARY":
			out[name], out[name+"_sum"], out[name+"_count"] = true, true, true
		default:
			out[name] = true
		}
	}
	for _, want := range []string{"chorusbill_invoices", "chorusbill_run_items", "chorusbill_queue_tasks",
		"chorusbill_pipeline_events_total", "chorusbill_deposits_total", "chorusbill_chorus_call_duration_seconds_bucket"} {
		if !out[want] {
			t.Fatalf("the registry lacks %s: feed its source here", want)
		}
	}
	return out
}

// Prometheus's own series, made at each scrape.
var prometheusSeries = regexp.MustCompile(`^(up|scrape_[a-z_]+)$`)

// productPrefixes are the names a chorusbill process registers: its own and
// the Go and process collectors'.
var productPrefixes = []string{"chorusbill_", "go_", "process_", "promhttp_"}

var (
	promqlStrings  = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	promqlBraces   = regexp.MustCompile(`\{[^}]*\}`)
	promqlBrackets = regexp.MustCompile(`\[[^\]]*\]`)
	promqlLabels   = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promqlKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
		"group_right": true, "bool": true, "and": true, "or": true, "unless": true, "offset": true, "inf": true, "nan": true}
)

// metricNames are the metric names a PromQL expression reads: what is left
// once strings, label matchers, ranges, grouping clauses, functions and
// keywords are taken out.
func metricNames(expr string) []string {
	s := promqlStrings.ReplaceAllString(expr, `""`)
	s = promqlBraces.ReplaceAllString(s, " ")
	s = promqlBrackets.ReplaceAllString(s, " ")
	s = promqlLabels.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range promqlIdent.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		if promqlKeywords[strings.ToLower(name)] {
			continue
		}
		if loc[0] > 0 && (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9' || s[loc[0]-1] == '.') {
			continue // the exponent or unit of a number: 1e3, 5m
		}
		if rest := strings.TrimLeft(s[loc[1]:], " \t\n"); strings.HasPrefix(rest, "(") {
			continue // a function or an aggregation
		}
		out = append(out, name)
	}
	return out
}

// checkExpr says what is wrong with expr's metric names: one the product
// does not register, or none of the product's at all.
func checkExpr(expr string, known map[string]bool) []string {
	names := metricNames(expr)
	if len(names) == 0 {
		return []string{"names no metric at all"}
	}
	var errs []string
	product, onlyPrometheus := false, true
	for _, name := range names {
		switch {
		case known[name]:
			product = product || slices.ContainsFunc(productPrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
			onlyPrometheus = false
		case prometheusSeries.MatchString(name):
		default:
			errs = append(errs, fmt.Sprintf("%s is not a metric chorusbill registers", name))
			onlyPrometheus = false
		}
	}
	if !product && !onlyPrometheus && len(errs) == 0 {
		errs = append(errs, "names no metric of chorusbill")
	}
	return errs
}

// TestCheckExpr is the check's own test: a wrong name must fail it.
func TestCheckExpr(t *testing.T) {
	known := map[string]bool{"chorusbill_deposits_total": true, "chorusbill_chorus_call_duration_seconds_bucket": true,
		"chorusbill_invoices": true, "go_goroutines": true}
	for _, tc := range []struct {
		expr string
		ok   bool
	}{
		{`sum by (outcome) (rate(chorusbill_deposits_total{outcome="ok"}[5m]))`, true},
		{`histogram_quantile(0.95, sum by (le, op) (rate(chorusbill_chorus_call_duration_seconds_bucket[5m])))`, true},
		{`max by (state) (chorusbill_invoices{state=~"paid|rejected"}) > 1e3`, true},
		{`go_goroutines{job=~"chorusbill-.*"}`, true},
		{`up{job="chorusbill-worker"} == 0`, true},
		{`sum(rate(chorusbill_deposit_total[5m]))`, false},                  // a letter missing
		{`max by (state) (chorusbill_invoice)`, false},                      // idem
		{`rate(chorusbill_chorus_call_duration_seconds[5m])`, false},        // a histogram is read by its series
		{`sum(rate(http_requests_total[5m]))`, false},                       // not ours
		{`chorusbill_invoices / on (state) group_left chorusbill_x`, false}, // the second operand
		{`vector(1)`, false}, // no metric
	} {
		if errs := checkExpr(tc.expr, known); (len(errs) == 0) != tc.ok {
			t.Errorf("checkExpr(%s) = %v", tc.expr, errs)
		}
	}
}

// TestDashboardAndAlertMetrics checks every PromQL expression of the
// Grafana dashboard and of the rule files against the metrics chorusbill
// registers, and the job labels they name against the scrape jobs.
func TestDashboardAndAlertMetrics(t *testing.T) {
	known := registered(t)
	var cfg prometheusConfig
	readYAML(t, prometheusPath, &cfg)
	var jobs []string
	for _, sc := range cfg.ScrapeConfigs {
		jobs = append(jobs, sc.JobName)
	}
	type query struct{ where, expr string }
	var queries []query
	for _, f := range cfg.RuleFiles {
		var rules ruleFile
		file := filepath.Join(filepath.Dir(prometheusPath), path.Base(f))
		readYAML(t, file, &rules)
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				queries = append(queries, query{file + ": " + r.Alert + r.Record, r.Expr})
				if r.Record != "" {
					known[r.Record] = true
				}
			}
		}
	}
	for _, p := range grafanaPanels(t) {
		for _, e := range p.exprs {
			queries = append(queries, query{"panel " + strconv.Quote(p.title), e})
		}
	}
	jobMatcher := regexp.MustCompile(`\bjob\s*(=~|=)\s*"([^"]*)"`)
	for _, q := range queries {
		for _, err := range checkExpr(q.expr, known) {
			t.Errorf("%s: %s: %s", q.where, q.expr, err)
		}
		for _, m := range jobMatcher.FindAllStringSubmatch(q.expr, -1) {
			re := regexp.MustCompile("^(?:" + regexp.QuoteMeta(m[2]) + ")$")
			if m[1] == "=~" {
				re = regexp.MustCompile("^(?:" + m[2] + ")$")
			}
			if !slices.ContainsFunc(jobs, re.MatchString) {
				t.Errorf("%s: job %s%q matches no scrape job (%v)", q.where, m[1], m[2], jobs)
			}
		}
	}
	if len(queries) == 0 {
		t.Fatal("no query to check")
	}
	names := make([]string, 0, len(known))
	for n := range known {
		if strings.HasPrefix(n, "chorusbill_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	t.Logf("%d queries checked against %d chorusbill metrics: %s", len(queries), len(names), strings.Join(names, " "))
}
