package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/internal/pgserver"
	"github.com/chorusbill/chorusbill/internal/redisserver"
)

// TestChaosCatchesPlantedBugs runs a small chaos run — every fault family,
// worker processes, the run's own PostgreSQL and Redis — and, before its
// checks, plants one at a time the bugs the chaos run must never agree
// with: a payment recorded twice, a gap in a series, an invoice one cent
// off what the inputs owe, a deposit made twice. The checks pass on the
// books as the run left them, fail on each planted bug with the check
// meant to catch it, and pass again once it is taken out.
func TestChaosCatchesPlantedBugs(t *testing.T) {
	if testing.Short() {
		t.Skip("a chaos run: not in -short")
	}
	ctx := context.Background()
	pg, err := pgserver.Start(ctx, pgserver.Options{Database: "chorusbill_plant"})
	if errors.Is(err, pgserver.ErrNoBinaries) && os.Getenv("CI") != "true" {
		t.Skipf("%v (scripts/services installs them; CI must have them)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop(context.WithoutCancel(ctx)) })
	rs, err := redisserver.Start("")
	if err != nil {
		t.Fatalf("the run's own Redis: %v (scripts/services installs redis-server)", err)
	}
	t.Cleanup(rs.Stop)
	bin := filepath.Join(t.TempDir(), "chorusbill")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/chorusbill").CombinedOutput(); err != nil {
		t.Fatalf("build chorusbill: %v\n%s", err, out)
	}
	conf, err := app.LoadConfig(func(k string) string {
		if k == app.EnvDatabaseURL {
			return pg.URL()
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	planted := 0
	o := ChaosOptions{Establishments: 150, Workers: 2, KillEvery: 3 * time.Second, RestartPostgres: true, Postgres: pg, Outage: 5 * time.Second,
		RestartRedis: true, Redis: rs, Settle: 2 * time.Minute, Timeout: 8 * time.Minute, Chorusbill: bin,
		Plant: func(ctx context.Context, site PlantSite, check func() error) error {
			db, err := openPlain(ctx, site.DatabaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := check(); err != nil {
				// What the books say of the invoices left working, and the
				// run's files and workers' log are kept, for a look.
				var rows []struct {
					Number string    `db:"number"`
					Action string    `db:"action"`
					To     string    `db:"to_state"`
					Reason string    `db:"reason"`
					At     time.Time `db:"at"`
				}
				db.SelectContext(ctx, &rows, `SELECT i.number, a.action, a.to_state, a.reason, a.at FROM audit_events a JOIN invoices i ON i.id = a.entity_id
					WHERE a.entity = 'invoice' AND i.state IN ('finalised', 'delivering', 'deposited') ORDER BY a.id`)
				for _, r := range rows {
					t.Logf("%s %s %s → %s: %s", r.At.Format("15:04:05.000"), r.Number, r.Action, r.To, r.Reason)
				}
				var claims []struct {
					ID    int64     `db:"invoice_id"`
					Owner string    `db:"owner"`
					Until time.Time `db:"until"`
				}
				db.SelectContext(ctx, &claims, `SELECT invoice_id, owner, until FROM deposit_claims`)
				t.Logf("deposit claims: %+v", claims)
				return fmt.Errorf("the checks fail on the books as the run left them: %w", err)
			}
			// exec plants or removes a bug past the books' own guards (a
			// finalised invoice is immutable, by trigger): what a bug in
			// the code, or a hand in the database, could do.
			exec := func(q string) {
				t.Helper()
				tx, err := db.BeginTxx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
					t.Fatal(err)
				}
				res, err := tx.ExecContext(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					t.Fatalf("%s: nothing to plant on", q)
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range []struct {
				name, check   string
				plant, remove string
			}{
				{"a payment recorded twice", checkPayments,
					`INSERT INTO payments (invoice_id, paid_on, amount_cents, source, reference, created_at)
						SELECT invoice_id, paid_on, amount_cents, source, reference || ' bis', created_at FROM payments WHERE id = (SELECT MIN(id) FROM payments)`,
					`DELETE FROM payments WHERE reference LIKE '% bis'`},
				{"a gap in a series", checkNumbering,
					`UPDATE invoices SET seq = seq + 1 WHERE id = (SELECT id FROM invoices ORDER BY series, seq DESC LIMIT 1)`,
					`UPDATE invoices SET seq = seq - 1 WHERE id = (SELECT id FROM invoices ORDER BY series, seq DESC LIMIT 1)`},
				{"an invoice one cent off", checkTotals,
					`UPDATE invoices SET total_ttc_cents = total_ttc_cents + 1 WHERE id = (SELECT MIN(id) FROM invoices WHERE state = 'postal')`,
					`UPDATE invoices SET total_ttc_cents = total_ttc_cents - 1 WHERE id = (SELECT MIN(id) FROM invoices WHERE state = 'postal')`},
			} {
				exec(p.plant)
				err := check()
				if err == nil || !strings.Contains(err.Error(), p.check) {
					t.Errorf("%s: the checks say %v, want %s failed", p.name, err, p.check)
				}
				exec(p.remove)
				planted++
			}
			if err := check(); err != nil {
				t.Errorf("the checks fail once the bugs are taken out: %v", err)
			}
			// A deposit made twice: an invoice Chorus Pro integrated and
			// acknowledged, deposited again (the platform refuses it as a
			// duplicate: only the count of deposits can tell).
			var number string
			for _, d := range site.Sandbox.Deposits() {
				if d.EtatFinal == "IN_INTEGRE" && acknowledged(d) {
					number = d.NumeroFacture
					break
				}
			}
			var xml []byte
			if err := db.GetContext(ctx, &xml, db.Rebind(`SELECT d.content FROM documents d JOIN invoices i ON i.id = d.invoice_id
				WHERE i.number = ? AND d.format = 'cii'`), number); err != nil {
				t.Fatalf("the CII of %q: %v", number, err)
			}
			c, err := chorus.New(chorus.Config{Env: chorus.Local, BaseURL: site.ChorusURL, TokenURL: site.ChorusURL + chorus.PathToken,
				ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret, TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword})
			if err != nil {
				return err
			}
			if _, err := c.Deposit(ctx, chorus.Deposit{Filename: number + ".xml", Content: xml, Syntax: chorus.SyntaxeCII16B}); err != nil {
				var ce *chorus.Error
				if !errors.As(err, &ce) {
					t.Fatalf("deposit %s again: %v", number, err)
				}
			}
			if err := check(); err == nil || !strings.Contains(err.Error(), checkDeposits) {
				t.Errorf("a deposit made twice: the checks say %v, want %s failed", err, checkDeposits)
			}
			planted++
			return nil
		}}
	if err := Chaos(ctx, conf, o, &out, &out); err != nil {
		t.Fatalf("chaos run: %v\n%s", err, out.String())
	}
	if planted != 4 {
		t.Fatalf("%d bugs planted, want 4\n%s", planted, out.String())
	}
	t.Logf("%s", out.String())
}
