package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/chorusbill/chorusbill/store"
)

// PasswordParams are the argon2id parameters of new hashes: OWASP's
// recommended minimum (19 MiB, 2 passes, 1 lane) rounded up to 64 MiB.
var passwordParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 2, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// HashPassword hashes a password with argon2id (a PHC string with its salt
// and parameters).
func HashPassword(password string) (string, error) {
	return argon2id.CreateHash(password, passwordParams)
}

// MaxPasswordLength is the longest password accepted (the login form
// takes no more: hashing has to stay cheap to refuse).
const MaxPasswordLength = 1024

// CheckPasswordStrength refuses passwords too short to resist guessing,
// or longer than the login form takes.
func CheckPasswordStrength(password string) error {
	switch n := len([]rune(password)); {
	case n < MinPasswordLength:
		return errors.New("le mot de passe doit compter au moins 12 caractères")
	case n > MaxPasswordLength:
		return fmt.Errorf("le mot de passe doit compter au plus %d caractères", MaxPasswordLength)
	}
	return nil
}

// principal is the signed-in user of a request.
type principal struct {
	User      store.User
	TokenHash string
}

// Actor is the name the audit trail gives the user.
func (p principal) Actor() string { return "user:" + p.User.Username }

// Operator reports whether the user may change things.
func (p principal) Operator() bool { return p.User.Role == store.RoleOperator }

type ctxKey struct{}

func userFrom(ctx context.Context) (principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(principal)
	return p, ok
}

// cookieName is the session cookie's: the __Host- prefix (Secure, path /,
// no domain) when cookies are secure.
func (s *Server) cookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-chorusbill"
	}
	return "chorusbill"
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// session finds the request's valid session, ending it when it timed out.
func (s *Server) session(r *http.Request) (principal, bool) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return principal{}, false
	}
	h := hashToken(c.Value)
	sess, u, err := s.books.SessionUser(r.Context(), h)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("read session", "error", err)
		}
		return principal{}, false
	}
	now := time.Now()
	if now.Sub(sess.LastSeenAt) > s.cfg.IdleTimeout || now.Sub(sess.CreatedAt) > s.cfg.AbsoluteTimeout {
		if err := s.books.DeleteSession(r.Context(), h); err != nil {
			s.log.Error("end expired session", "error", err)
		}
		return principal{}, false
	}
	// Record activity at most once a minute: the idle timeout is in
	// minutes, and a page load is many requests.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.books.TouchSession(r.Context(), h); err != nil {
			s.log.Error("touch session", "error", err)
		}
	}
	return principal{User: u, TokenHash: h}, true
}

// requireUser lets signed-in users through; others get the login page (a
// browser asking for a page) or 401 (anything else: assets, API, console).
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.session(r)
		if !ok {
			if r.Method == http.MethodGet && wantsHTML(r) {
				http.Redirect(w, r, "/connexion?suite="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			w.Header().Set("WWW-Authenticate", `Cookie realm="chorusbill"`)
			http.Error(w, "Authentification requise.", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
	})
}

func wantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/static/") || strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	a := r.Header.Get("Accept")
	return a == "" || strings.Contains(a, "text/html")
}

// requireOperator refuses viewers.
func (s *Server) requireOperator(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := userFrom(r.Context())
		if !ok || !p.Operator() {
			s.renderError(w, r, http.StatusForbidden, "Action réservée aux opérateurs : votre compte est en lecture seule.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

type loginView struct {
	Next  string
	User  string
	Error string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", "Connexion", loginView{Next: safeNext(r.URL.Query().Get("suite"))})
}

// maxNextLength bounds a redirect's destination (no page of the site
// needs more).
const maxNextLength = 2048

// safeNext keeps a redirect (the login's suite, a form's retour) on this
// site: a path of it, or "/". It is judged as a browser would read it,
// controls removed (browsers drop tabs and newlines anywhere in a URL, so
// "/\t/evil.example/" is "//evil.example/" to them) and backslashes read
// as slashes; what is returned has them removed and replaced too, so that
// the Location sent is what was judged.
func safeNext(next string) string {
	if len(next) > maxNextLength {
		return "/"
	}
	clean := strings.Map(func(r rune) rune {
		switch {
		case isControl(r):
			return -1
		case r == '\\':
			return '/'
		}
		return r
	}, next)
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") || strings.HasPrefix(clean, "/connexion") {
		return "/"
	}
	u, err := url.Parse(clean)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return clean
}

// isControl reports whether r is a C0 or C1 control character, or DEL
// (invalid UTF-8 decodes as U+FFFD, which is kept and escaped later).
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// login checks a password, unless failures from the client's address
// (for that name, or for any) ask it to wait, and opens a session with a
// fresh token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Formulaire illisible.", http.StatusBadRequest)
		return
	}
	name := strings.ToLower(strings.TrimSpace(r.PostForm.Get("utilisateur")))
	password := r.PostForm.Get("mot_de_passe")
	next := safeNext(r.PostForm.Get("suite"))
	ip := clientIP(r, s.cfg.TrustedProxies)
	view := loginView{Next: next, User: name}
	if err := checkLengths(r.PostForm, "utilisateur", "mot_de_passe"); err != nil {
		view.User, view.Error = "", err.Error()
		s.render(w, r, http.StatusUnprocessableEntity, "login", "Connexion", view)
		return
	}
	// Before any hashing: a guess waiting its turn costs nothing.
	if wait := s.limiter.wait(ip, name); wait > 0 {
		s.log.Warn("login delayed", "user", name, "ip", ip, "wait", wait)
		secs := int64((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		view.Error = "Trop de tentatives de connexion : réessayez dans " + waitText(secs) + "."
		s.render(w, r, http.StatusTooManyRequests, "login", "Connexion", view)
		return
	}
	u, err := s.books.UserByName(r.Context(), name)
	hash := s.dummyHash
	if err == nil {
		hash = u.PasswordHash
	} else if !errors.Is(err, store.ErrNotFound) {
		s.serverError(w, r, err)
		return
	}
	match, herr := argon2id.ComparePasswordAndHash(password, hash)
	if err != nil || herr != nil || !match || u.Disabled {
		s.limiter.fail(ip, name)
		s.log.Warn("login refused", "user", name, "ip", ip)
		view.Error = "Identifiant ou mot de passe incorrect."
		s.render(w, r, http.StatusUnauthorized, "login", "Connexion", view)
		return
	}
	s.limiter.succeed(ip, name)
	token, err := newToken()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	// A fresh token at each login: a session fixed before login is useless.
	if old, err := r.Cookie(s.cookieName()); err == nil {
		s.books.DeleteSession(r.Context(), hashToken(old.Value))
	}
	if _, err := s.books.CreateSession(r.Context(), hashToken(token), u.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("login", "user", name, "ip", ip)
	http.SetCookie(w, s.sessionCookie(token, int(s.cfg.AbsoluteTimeout.Seconds())))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) sessionCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: s.cookieName(), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode}
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if p, ok := userFrom(r.Context()); ok {
		if err := s.books.DeleteSession(r.Context(), p.TokenHash); err != nil {
			s.log.Error("logout", "error", err)
		}
	}
	http.SetCookie(w, s.sessionCookie("", -1))
	http.Redirect(w, r, "/connexion", http.StatusSeeOther)
}

// NewSession opens a session for a user and returns the cookie to send:
// for tools and tests that drive the dashboard without the login form.
func (s *Server) NewSession(ctx context.Context, username string) (*http.Cookie, error) {
	u, err := s.books.UserByName(ctx, username)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errors.New("user " + username + " is disabled")
	}
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	if _, err := s.books.CreateSession(ctx, hashToken(token), u.ID); err != nil {
		return nil, err
	}
	return s.sessionCookie(token, int(s.cfg.AbsoluteTimeout.Seconds())), nil
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
