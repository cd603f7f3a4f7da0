package main

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/internal/app"
)

// checkSandbox serves a sandbox on 127.0.0.1 whose technical account's
// password expires at expires, and returns the environment of a
// chorusbill talking to it.
func checkSandbox(t *testing.T, expires time.Time) (*sandbox.Server, map[string]string) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword, TechPasswordExpires: expires,
		FlowProcessingDelay: -1, FlowIntegrationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, map[string]string{"CHORUS_ENV": "local", "CHORUS_BASE_URL": srv.URL, "CHORUS_TOKEN_URL": srv.URL + chorus.PathToken}
}

// parisDay is midnight in Paris, days from today.
func parisDay(t *testing.T, days int) time.Time {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	d := time.Now().In(paris).AddDate(0, 0, days)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, paris)
}

// checkLines matches the probe lines of the output against one pattern per
// probe, in order.
func checkLines(t *testing.T, out string, want []string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, "OK  ") || strings.HasPrefix(l, "FAIL") {
			lines = append(lines, l)
		}
	}
	if len(lines) != len(want) {
		t.Fatalf("%d probe lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !regexp.MustCompile("^" + w + "$").MatchString(lines[i]) {
			t.Errorf("line %d:\n  got  %s\n  want %s", i+1, lines[i], w)
		}
	}
}

// Against a faithful sandbox every probe is OK, and each line says what
// was seen: HTTP status, codeRetour and libelle, the lists' shapes, the
// codes of what does not exist, and the password's expiry.
func TestChorusCheck(t *testing.T) {
	expires := parisDay(t, 100)
	_, environ := checkSandbox(t, expires)
	code, out, errOut := runCLI(t, environ, "chorus", "check")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	q := regexp.QuoteMeta
	ok := `HTTP 200, codeRetour 0 \(TRA_MSG_00\.000\)`
	none := `HTTP 200, codeRetour 20000 \(` + q(chorus.LibelleAucunResultat) + `\)`
	checkLines(t, out, []string{
		`OK   token     PISTE token obtained from ` + q(environ["CHORUS_TOKEN_URL"]),
		`OK   supplier  ` + ok + `, listeStructures: an array of 1: 26300989 Syndicat mixte Mégalis Bretagne \(SIRET 25351449100047\); CHORUS_SUPPLIER_ID unset: the only structure, 26300989, is the supplier`,
		`OK   bank      ` + ok + `, listeCoordonneeBancaire: an array of 1: 144050 Compte principal`,
		`OK   buyer     ` + ok + `, listeStructures: an array of 1: 21299951000010 is structure \d+ Commune de Plougastel-Daoulas, statut ACTIF`,
		`OK   unknown   ` + none + `, listeStructures: an array of 0: 99999999800084 is not on Chorus Pro`,
		`OK   invoices  ` + none + `, listeFactures: an array of 0: no invoice CHORUSBILL-CHECK-0`,
		`OK   flow      HTTP 200, codeRetour 20001 \(` + q(chorus.LibelleFluxIntrouvable) + `\): flow CPP0000000000000000000000 does not exist`,
		`OK   password  dateExpirationMotPasseCompteTech ` + q(expires.Format(time.RFC3339)) + `: expires on ` + expires.Format(time.DateOnly) + `, in 100 days`,
	})
	if !strings.Contains(out, "all 8 probes OK") {
		t.Errorf("no summary:\n%s", out)
	}
}

// --flow reads a deposited flow's report: its state, and its lists as they
// came (here a flow the platform found unacceptable, one technical error).
func TestChorusCheckFlow(t *testing.T) {
	_, environ := checkSandbox(t, parisDay(t, 100))
	api, err := chorus.New(chorus.Config{Env: chorus.Local, BaseURL: environ["CHORUS_BASE_URL"], TokenURL: environ["CHORUS_TOKEN_URL"],
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret, TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := api.Deposit(context.Background(), chorus.Deposit{Filename: "not-an-invoice.xml", Content: []byte("<nothing/>"), Syntax: chorus.SyntaxeCII16B})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, environ, "chorus", "check", "--flow", dep.FlowNumber)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	want := `OK   flow      HTTP 200, codeRetour 0 \(TRA_MSG_00\.000\), listeErreurTechnique: an array of 1: flow ` + dep.FlowNumber +
		` is IN_REJETE \(failure\), file "not-an-invoice.xml", 0 invoice error\(s\), 1 technical error\(s\)`
	if !regexp.MustCompile("(?m)^" + want + "$").MatchString(out) {
		t.Errorf("no line %s in:\n%s", want, out)
	}
}

// A probe that fails says why, and the check exits 1: a technical account
// refused by Chorus Pro (the token, PISTE's, is fine), and a password whose
// configured expiry is past.
func TestChorusCheckFails(t *testing.T) {
	t.Run("wrong technical account", func(t *testing.T) {
		_, environ := checkSandbox(t, parisDay(t, 100))
		environ["CHORUS_TECH_PASSWORD"] = "not-the-password"
		code, out, errOut := runCLI(t, environ, "chorus", "check")
		if code != 1 {
			t.Fatalf("exit %d, want 1: %s\n%s", code, errOut, out)
		}
		refused := `chorus pro \S+: authentication error: HTTP 401: Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects"`
		checkLines(t, out, []string{
			`OK   token     PISTE token obtained from .*`,
			`FAIL supplier  HTTP 401: chorus pro recuperer/structures/actives/fournisseur: authentication error: HTTP 401: .*login or password incorrects"`,
			`FAIL bank      not tried: no supplier structure`,
			`FAIL buyer     HTTP 401: ` + refused,
			`FAIL unknown   HTTP 401: ` + refused + ` \(the pipeline reads only codeRetour 20000 as not on Chorus Pro\)`,
			`FAIL invoices  HTTP 401: ` + refused + ` \(the pipeline reads only codeRetour 20000 as no invoice\)`,
			`FAIL flow      HTTP 401: ` + refused + ` \(flow CPP0000000000000000000000 does not exist: codeRetour 20001 was expected\)`,
			`FAIL password  not tried: no supplier structure`,
		})
		if !strings.Contains(errOut, "chorusbill chorus: 7 of 8 probes failed") {
			t.Errorf("stderr: %s", errOut)
		}
	})
	t.Run("password expired", func(t *testing.T) {
		_, environ := checkSandbox(t, parisDay(t, 100))
		past := parisDay(t, -3)
		environ[app.EnvTechPasswordExpires] = past.Format(time.DateOnly)
		code, out, errOut := runCLI(t, environ, "chorus", "check")
		if code != 1 {
			t.Fatalf("exit %d, want 1: %s\n%s", code, errOut, out)
		}
		want := `FAIL password  dateExpirationMotPasseCompteTech \S+; CHORUS_TECH_PASSWORD_EXPIRES ` + past.Format(time.DateOnly) +
			` wins: expired on ` + past.Format(time.DateOnly) + `, 3 day\(s\) ago: renew it on the Chorus Pro portal`
		if !regexp.MustCompile("(?m)^" + want + "$").MatchString(out) {
			t.Errorf("no line %s in:\n%s", want, out)
		}
		if !strings.Contains(errOut, "1 of 8 probes failed") {
			t.Errorf("stderr: %s", errOut)
		}
	})
	t.Run("no PISTE token", func(t *testing.T) {
		_, environ := checkSandbox(t, parisDay(t, 100))
		environ["CHORUS_CLIENT_SECRET"] = "not-the-secret"
		code, out, _ := runCLI(t, environ, "chorus", "check")
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		if !regexp.MustCompile(`(?m)^FAIL token     no token from http://127\.0\.0\.1:\d+/api/oauth/token: chorus pro token: authentication error: HTTP 400: invalid_client$`).MatchString(out) ||
			strings.Count(out, "not tried: no token") != 7 {
			t.Errorf("want the token refused and the rest untried:\n%s", out)
		}
	})
}

// Every command that talks to Chorus Pro refuses to start without
// CHORUS_ENV, naming the variable and its values (fidelity C-6: it used to
// default to local); the demo sets local itself (TestDemoOnce runs it with
// nothing set), and commands that never talk to Chorus Pro do not ask.
func TestChorusEnvRequired(t *testing.T) {
	dir := t.TempDir()
	environ := map[string]string{envDatabaseURL: "sqlite://" + dir + "/books.db", envRedisURL: "redis://127.0.0.1:1/0"}
	for _, args := range [][]string{
		{"work"},
		{"serve", "--addr", "127.0.0.1:0"},
		{"run", "--year", "2025", "--kind", "contribution"},
		{"resubmit", "CT2025-000001"},
		{"corrections", "confirm", "1"},
		{"chorus", "check"},
	} {
		code, out, errOut := runCLI(t, environ, args...)
		if code != 1 || !strings.Contains(errOut, app.ErrNoChorusEnv.Error()) {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want 1 and %q", args, code, errOut, out, app.ErrNoChorusEnv)
		}
	}
	for _, word := range []string{"CHORUS_ENV", "production", "qualification", "local"} {
		if !strings.Contains(app.ErrNoChorusEnv.Error(), word) {
			t.Errorf("the error does not name %s: %v", word, app.ErrNoChorusEnv)
		}
	}
	for _, args := range [][]string{{"invoices", "list"}, {"corrections", "list"}, {"quote", "--year", "2025", "--headcount", "30", "--existing"}} {
		if code, _, errOut := runCLI(t, environ, args...); code != 0 {
			t.Errorf("%v without CHORUS_ENV: exit %d: %s", args, code, errOut)
		}
	}
}
