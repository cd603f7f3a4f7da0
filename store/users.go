package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"
)

// Dashboard roles: a viewer reads, an operator also acts on invoices.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
)

// User is a local user of the dashboard. PasswordHash is an argon2id PHC
// string; the books never see a password.
type User struct {
	ID           int64     `db:"id"`
	Username     string    `db:"username"`
	PasswordHash string    `db:"password_hash"`
	Role         string    `db:"role"`
	Disabled     bool      `db:"disabled"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
}

// ErrExists is returned when creating what is already in the books.
var ErrExists = errors.New("already exists")

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

// ValidUsername says what is wrong with a user name, if anything: 2 to 63
// characters, lower-case letters, digits, dot, dash, underscore.
func ValidUsername(name string) error {
	if !usernameRE.MatchString(name) {
		return fmt.Errorf("user name %q: want 2 to 63 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit", name)
	}
	return nil
}

// ValidRole checks a role name.
func ValidRole(role string) error {
	if role != RoleViewer && role != RoleOperator {
		return fmt.Errorf("role %q: want viewer or operator", role)
	}
	return nil
}

const userColumns = `id, username, password_hash, role, disabled, created_at, updated_at`

// CreateUser adds a user; a name already taken is ErrExists. The creation
// is in the audit trail (entity "user").
func (s *Store) CreateUser(ctx context.Context, username, passwordHash, role, actor string) (User, error) {
	if err := ValidUsername(username); err != nil {
		return User{}, err
	}
	if err := ValidRole(role); err != nil {
		return User{}, err
	}
	if passwordHash == "" {
		return User{}, fmt.Errorf("user %s: no password hash", username)
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.timestamp()
		var id int64
		err := tx.GetContext(ctx, &id, s.rebind(`INSERT INTO users (username, password_hash, role, disabled, created_at, updated_at)
			VALUES (?, ?, ?, FALSE, ?, ?) RETURNING id`), username, passwordHash, role, now, now)
		if isUniqueViolation(err) {
			return fmt.Errorf("user %s: %w", username, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("create user %s: %w", username, err)
		}
		return s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "user", EntityID: id, Action: "user add", To: role, Reason: username})
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByName(ctx, username)
}

// UserByName reads a user (disabled or not).
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, s.rebind(`SELECT `+userColumns+` FROM users WHERE username = ?`), username)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %s: %w", username, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("read user %s: %w", username, err)
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, nil
}

// Users lists the users by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var out []User
	if err := s.db.SelectContext(ctx, &out, `SELECT `+userColumns+` FROM users ORDER BY username`); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// SetPassword replaces a user's password hash and ends the user's sessions.
func (s *Store) SetPassword(ctx context.Context, username, passwordHash, actor string) error {
	if passwordHash == "" {
		return fmt.Errorf("user %s: no password hash", username)
	}
	return s.changeUser(ctx, username, actor, "user passwd", `password_hash = ?`, passwordHash)
}

// DisableUser disables a user for good (its name stays taken, so the audit
// trail keeps meaning one person) and ends the user's sessions.
func (s *Store) DisableUser(ctx context.Context, username, actor string) error {
	return s.changeUser(ctx, username, actor, "user disable", `disabled = TRUE`)
}

func (s *Store) changeUser(ctx context.Context, username, actor, action, set string, args ...any) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		err := tx.GetContext(ctx, &id, s.rebind(`SELECT id FROM users WHERE username = ?`), username)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %s: %w", username, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read user %s: %w", username, err)
		}
		args = append(args, s.timestamp(), id)
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE users SET `+set+`, updated_at = ? WHERE id = ?`), args...); err != nil {
			return fmt.Errorf("%s %s: %w", action, username, err)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM sessions WHERE user_id = ?`), id); err != nil {
			return fmt.Errorf("%s %s: end sessions: %w", action, username, err)
		}
		return s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "user", EntityID: id, Action: action, Reason: username})
	})
}

// Session is a signed-in user's session, found by the SHA-256 of its token.
type Session struct {
	TokenHash  string    `db:"token_hash"`
	UserID     int64     `db:"user_id"`
	CreatedAt  time.Time `db:"created_at"`
	LastSeenAt time.Time `db:"last_seen_at"`
}

// CreateSession records a new session for a user.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, userID int64) (Session, error) {
	now := s.timestamp()
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)`),
		tokenHash, userID, now, now)
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	return Session{TokenHash: tokenHash, UserID: userID, CreatedAt: now, LastSeenAt: now}, nil
}

// SessionUser reads a session and its user. A session whose user is
// disabled reads as ErrNotFound.
func (s *Store) SessionUser(ctx context.Context, tokenHash string) (Session, User, error) {
	var row struct {
		Session
		User `db:"u"`
	}
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT s.token_hash, s.user_id, s.created_at, s.last_seen_at,
		u.id AS "u.id", u.username AS "u.username", u.password_hash AS "u.password_hash", u.role AS "u.role",
		u.disabled AS "u.disabled", u.created_at AS "u.created_at", u.updated_at AS "u.updated_at"
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND NOT u.disabled`), tokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("read session: %w", err)
	}
	row.Session.CreatedAt, row.Session.LastSeenAt = row.Session.CreatedAt.UTC(), row.Session.LastSeenAt.UTC()
	return row.Session, row.User, nil
}

// TouchSession records activity on a session (its idle timeout restarts).
func (s *Store) TouchSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`), s.timestamp(), tokenHash)
	return err
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM sessions WHERE token_hash = ?`), tokenHash)
	return err
}

// DeleteExpiredSessions removes sessions idle since before idleBefore or
// created before createdBefore; it returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`),
		idleBefore.UTC(), createdBefore.UTC())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}
