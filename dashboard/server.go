// Package dashboard serves the finance dashboard: server-rendered pages
// (html/template, assets embedded) over the books, the work lists and their
// actions through the worker's pipeline, the queue console (asynqmon), and
// health probes. Every page and API needs a session of a local user (the
// static assets alone are public); only operators change anything, every
// change is in the audit trail with the user's name, and every
// state-changing request is checked against cross-origin forgery.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
)

// Actions is what the dashboard asks of the pipeline (a *worker.Pipeline):
// every change to an invoice goes through one of its use cases, whose
// typed errors the pages translate.
type Actions interface {
	Resubmit(ctx context.Context, number, reason, actor string) (string, error)
	// ResubmitWith completes a SUSPENDUE invoice with supporting
	// documents; with any other invoice it refuses them (a
	// *worker.StateError wrapping worker.ErrNotSuspended).
	ResubmitWith(ctx context.Context, number, reason, actor string, files []chorus.Attachment) (string, error)
	FillReferences(ctx context.Context, number, codeService, engagement, actor string) (string, error)
	MarkMailed(ctx context.Context, numbers []string, day time.Time, actor string) ([]string, error)
	// MarkBatchMailed marks exactly the invoices of a print batch mailed.
	MarkBatchMailed(ctx context.Context, batch int64, day time.Time, actor string) (worker.MailedBatch, error)
	ConfirmCorrection(ctx context.Context, id int64, actor, comment string) (string, error)
	DismissCorrection(ctx context.Context, id int64, actor, comment string) (string, error)
	// EnterPayment records a payment entered by hand under the rules of
	// every payment; a repeat is recognised, not recorded twice.
	EnterPayment(ctx context.Context, e worker.PaymentEntry, actor string) (worker.PaymentEntered, error)
	// Recycle sends an A_RECYCLER invoice to the service the buyer asks
	// for (a *worker.ServiceCodeError when empty or malformed).
	Recycle(ctx context.Context, number, codeService, reason, actor string) (string, error)
	// PrintReminders prints the reminder letters due on day as one PDF
	// and records them sent: all, or none (a *worker.ReminderNotDueError).
	PrintReminders(ctx context.Context, letters []worker.ReminderLetter, steps invoice.ReminderSteps, day time.Time, actor string) ([]byte, error)
	PauseReminders(ctx context.Context, number, reason, actor string) error
	ResumeReminders(ctx context.Context, number, reason, actor string) error
}

// QueueInspector reads the queues' health (an *asynq.Inspector).
type QueueInspector interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// Config is what the dashboard is built from.
type Config struct {
	Books      *store.Store
	Actions    Actions
	Issuer     document.Issuer
	Catalog    *tariff.Catalog
	LegalRates *invoice.RateTable
	ECBRates   *invoice.RateTable
	// Inspector reads the queues; nil shows the queue health as unknown.
	Inspector QueueInspector
	// Troubles, when set, reads the steps of the pipeline failing now
	// (worker.Troubles), for the overview to say why work is not moving.
	Troubles func(ctx context.Context) ([]worker.StepTrouble, error)
	// Redis, when set, mounts the queue console (asynqmon) under /queues/.
	Redis asynq.RedisConnOpt
	// PingRedis tells /readyz whether Redis answers; nil skips the check.
	PingRedis func(ctx context.Context) error
	// SecureCookies sets the Secure flag on cookies (and HSTS): turn it
	// off only to serve plain HTTP on localhost.
	SecureCookies bool
	// IdleTimeout ends a session unused for that long (default 30 min);
	// AbsoluteTimeout ends any session that old (default 12 h).
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// Now is the civil clock that says what is overdue (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// LoginLimits shape the delays after failed logins (LoginLimits says
	// the defaults); they are timed by Now.
	LoginLimits LoginLimits
	// TrustedProxies are the reverse proxies (CHORUSBILL_TRUSTED_PROXIES)
	// whose X-Forwarded-For gives the client's address; from any other
	// peer the header is ignored.
	TrustedProxies []netip.Prefix
	// Metrics is the Prometheus registry served at /metrics to signed-in
	// users; the caller watches its sources (Metrics.Watch). Nil makes one
	// watching Books, Inspector and PipelineMetrics.
	Metrics         *Metrics
	PipelineMetrics *worker.Metrics
	// PrintBatchSize bounds a print batch of postal invoices (default
	// 1,000): a larger selection is printed in several numbered batches.
	PrintBatchSize int
	// TechPasswordExpires is the configured expiry of the Chorus Pro
	// technical account's password (CHORUS_TECH_PASSWORD_EXPIRES; zero when
	// unset): it wins over the date the worker read from Chorus Pro. Every
	// page warns of it worker.PasswordWarningDays before.
	TechPasswordExpires time.Time
	// ReminderSteps are the days after the due date of each reminder
	// letter (CHORUSBILL_REMINDER_STEPS); nil is
	// invoice.DefaultReminderSteps.
	ReminderSteps invoice.ReminderSteps
}

// Server is the dashboard's HTTP handler.
type Server struct {
	cfg     Config
	books   *store.Store
	log     *slog.Logger
	pages   map[string]*template.Template
	limiter *loginLimiter
	handler http.Handler
	// mux routes the requests; the catch-all asks it which methods a
	// path answers to (a 405 rather than a 404).
	mux *http.ServeMux
	// opRoutes are the patterns of the operators' actions, as routes()
	// registers them: the pages show no way to them to a viewer.
	opRoutes []string
	closers  []func() error
	// dummyHash is verified against when the user is unknown, so that a
	// login takes as long whether the name exists or not.
	dummyHash string
}

// New builds the dashboard.
func New(cfg Config) (*Server, error) {
	if cfg.Books == nil {
		return nil, errors.New("dashboard: no books")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ReminderSteps == nil {
		steps, err := invoice.ParseReminderSteps(invoice.DefaultReminderSteps)
		if err != nil {
			return nil, err
		}
		cfg.ReminderSteps = steps
	} else if err := cfg.ReminderSteps.Validate(); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.PrintBatchSize <= 0 {
		cfg.PrintBatchSize = defaultPrintBatch
	}
	if cfg.AbsoluteTimeout <= 0 {
		cfg.AbsoluteTimeout = 12 * time.Hour
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
		if err := cfg.Metrics.Watch(Sources{Books: cfg.Books, Inspector: cfg.Inspector, Pipeline: cfg.PipelineMetrics, Logger: cfg.Logger,
			TechPasswordExpires: cfg.TechPasswordExpires, Now: cfg.Now}); err != nil {
			return nil, err
		}
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	dummy, err := HashPassword("chorusbill-dummy-password")
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, books: cfg.Books, log: cfg.Logger, pages: pages, limiter: newLoginLimiter(cfg.LoginLimits, cfg.Now), dummyHash: dummy}
	s.handler = s.routes()
	return s, nil
}

// Close releases the queue console's connections.
func (s *Server) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Metrics is the registry served at /metrics.
func (s *Server) Metrics() *Metrics { return s.cfg.Metrics }

// routes wires every route. Only /healthz and /readyz (probes, which tell
// nothing of the books), the login page and its assets are open (/metrics is not: a
// Prometheus server scrapes Metrics.Handler on a listener of its own); everything else goes
// through requireUser, and every POST through requireOperator. The whole
// mux sits behind the security headers and Go's cross-origin protection.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.mux = mux
	mux.Handle("GET /healthz", Liveness())
	// Ready when the database and Redis answer; a pause of the deliveries
	// is said, never a reason not to be ready (Probe.Note).
	mux.Handle("GET /readyz", Readiness(s.log, Probe{Name: "database", Ping: s.books.Ping}, Probe{Name: "redis", Ping: s.cfg.PingRedis},
		Probe{Name: "deliveries", Note: PauseNote(s.books)}))
	mux.HandleFunc("GET /connexion", s.loginPage)
	mux.HandleFunc("POST /connexion", s.login)

	user := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.requireUser(h)) }
	op := func(pattern string, h http.HandlerFunc) {
		s.opRoutes = append(s.opRoutes, pattern)
		mux.Handle(pattern, s.requireUser(s.requireOperator(h)))
	}

	user("POST /deconnexion", s.logout)
	mux.HandleFunc("GET /static/", s.static) // public: the login page needs its style
	user("GET /{$}", s.overview)
	user("GET /api/apercu", s.apiOverview)
	user("GET /metrics", s.metricsPage)
	user("GET /a-completer", s.workAwaiting)
	user("GET /rejets", s.workRejected)
	user("GET /suspendues", s.workSuspended)
	user("GET /a-verifier", s.workToVerify)
	user("GET /courrier", s.workPostal)
	user("GET /courrier.csv", s.postalCSV)
	user("POST /courrier/lot.pdf", s.printBatch)
	user("GET /retards", s.workOverdue)
	user("GET /relances", s.workReminders)
	user("GET /relances.csv", s.exportReminders)
	user("GET /factures/{number}/relance.pdf", s.reminderLetter)
	op("POST /relances/lot.pdf", s.printReminders)
	op("POST /factures/{number}/relances/suspendre", s.pauseReminders)
	op("POST /factures/{number}/relances/reprendre", s.resumeReminders)
	user("GET /balance-agee", s.agedBalance)
	user("GET /balance-agee.csv", s.agedBalanceCSV)
	user("GET /corrections", s.workCorrections)
	user("GET /recherche", s.search)
	user("GET /factures", s.register)
	user("GET /factures.csv", s.registerCSV)
	user("GET /a-completer.csv", s.workListCSV("a-completer", awaitingFilter))
	user("GET /rejets.csv", s.workListCSV("rejets", rejectedFilter))
	user("GET /suspendues.csv", s.workListCSV("suspendues", suspendedFilter))
	user("GET /a-verifier.csv", s.workListCSV("a-verifier", toVerifyFilter))
	user("GET /retards.csv", s.workListCSV("retards", s.overdueFilter))
	user("GET /factures/{number}", s.invoicePage)
	user("GET /factures/{number}/documents/{format}", s.document)
	user("GET /factures/{number}/resoumettre", s.resubmitConfirm)
	user("GET /etablissements/{siret}", s.establishmentPage)
	op("POST /factures/{number}/references", s.setReferences)
	op("POST /factures/{number}/resoumettre", s.resubmit)
	op("POST /factures/{number}/paiements", s.enterPayment)
	op("POST /courrier/envoi", s.markMailed)
	op("POST /rejets/lot", s.bulkConfirm(rejectedBulk()))
	op("POST /rejets/lot/executer", s.bulkRun(rejectedBulk()))
	op("POST /a-verifier/lot", s.bulkConfirm(toVerifyBulk()))
	op("POST /a-verifier/lot/executer", s.bulkRun(toVerifyBulk()))
	op("POST /corrections/{id}/confirmer", s.confirmCorrection)
	op("POST /corrections/{id}/ecarter", s.dismissCorrection)
	if s.cfg.Redis != nil {
		viewer, operator := s.queueConsoles()
		mux.Handle("/queues/", s.requireUser(s.queueConsole(viewer, operator)))
		mux.Handle("GET /queues", http.RedirectHandler("/queues/", http.StatusMovedPermanently))
	}
	mux.Handle("/", s.requireUser(http.HandlerFunc(s.notFound)))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		http.Error(w, "Requête d'une autre origine refusée.", http.StatusForbidden)
	}))
	return s.securityHeaders(cop.Handler(mux))
}

// cspPages is the policy of every page but the queue console: no inline
// script or style, nothing from elsewhere, no framing, forms only to us.
const cspPages = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", cspPages)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cache-Control", "no-store")
		if s.cfg.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
