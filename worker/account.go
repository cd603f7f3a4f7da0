package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
)

// The Chorus Pro technical account's password lasts 424 days; once expired,
// every call fails with a 401 until someone renews it on the portal
// (fidelity C-4). The worker reads its expiry from Chorus Pro each day
// (CheckAccount) and keeps it in the books; the dashboard and the metrics
// warn of it PasswordWarningDays before (AccountExpiry).

// PasswordWarningDays is how many days before its expiry the password is
// warned of: a month leaves time to reach the structure's main manager, the
// one who can renew it.
const PasswordWarningDays = 30

// AccountFromConfiguration is the source of an expiry configured
// (CHORUS_TECH_PASSWORD_EXPIRES) rather than read from Chorus Pro.
const AccountFromConfiguration = "configuration"

// expiryReader is what CheckAccount asks of the Chorus Pro client
// (*chorus.Client has it). It is not part of chorusAPI: the pipeline's
// other work does not need it, and a client without it (a test double)
// only leaves the expiry unwatched.
type expiryReader interface {
	PasswordExpiry(ctx context.Context) (time.Time, error)
}

// CheckAccount reads when the technical account's password expires
// (dateExpirationMotPasseCompteTech, chorus.Client.PasswordExpiry) and
// records it in the books, where the dashboard and the metrics read it.
// Chorus Pro giving no date records nothing and is no error (a configured
// CHORUS_TECH_PASSWORD_EXPIRES is then the only source); a failed call is
// returned, for the caller (the daily kick) to log and try again the next
// day. It is meant to run once a day: the date moves only when the password
// is renewed.
func (p *Pipeline) CheckAccount(ctx context.Context) error {
	api, ok := p.chorus.(expiryReader)
	if !ok {
		p.log.Debug("the Chorus Pro client cannot read the password expiry: not checked")
		return nil
	}
	t, err := api.PasswordExpiry(ctx)
	if errors.Is(err, chorus.ErrPasswordExpiryUnknown) {
		p.log.Warn("Chorus Pro gives no expiry date for the technical account's password: set CHORUS_TECH_PASSWORD_EXPIRES to be warned before it expires")
		return nil
	}
	if err != nil {
		return fmt.Errorf("check the Chorus Pro technical account: %w", err)
	}
	e := AccountExpiry{On: store.CivilDayInParis(t), Source: store.AccountFromChorus, CheckedAt: p.wall()}
	if err := p.books.PutChorusAccount(ctx, store.ChorusAccount{ExpiresOn: e.On, CheckedAt: e.CheckedAt, Source: e.Source}); err != nil {
		return err
	}
	if now := p.now(); e.Warn(now) {
		p.log.Warn("the Chorus Pro technical account's password expires soon: renew it on the portal",
			"expires_on", e.On.Format(time.DateOnly), "days_left", e.DaysLeft(now))
	}
	return nil
}

// AccountExpiry is when the technical account's password expires, and
// where that comes from.
type AccountExpiry struct {
	// On is the civil day it expires (midnight UTC, as the books give days).
	On time.Time
	// Source is store.AccountFromChorus or AccountFromConfiguration.
	Source string
	// CheckedAt is when Chorus Pro was asked (zero for a configured day).
	CheckedAt time.Time
}

// ReadAccountExpiry says when the technical account's password expires:
// the configured day (CHORUS_TECH_PASSWORD_EXPIRES; zero when unset) wins,
// else the books' latest reading of Chorus Pro; found is false when
// neither says.
func ReadAccountExpiry(ctx context.Context, books *store.Store, configured time.Time) (e AccountExpiry, found bool, err error) {
	if !configured.IsZero() {
		return AccountExpiry{On: store.CivilDayInParis(configured), Source: AccountFromConfiguration}, true, nil
	}
	a, found, err := books.ChorusAccount(ctx)
	if err != nil || !found {
		return AccountExpiry{}, false, err
	}
	return AccountExpiry{On: a.ExpiresOn, Source: a.Source, CheckedAt: a.CheckedAt}, true, nil
}

// DaysLeft counts the days from now's day in Paris to the expiry day: 0 on
// the day itself, negative once past.
func (e AccountExpiry) DaysLeft(now time.Time) int {
	return int(e.On.Sub(store.CivilDayInParis(now)).Round(time.Hour).Hours() / 24)
}

// Warn reports whether the expiry is within PasswordWarningDays (or past).
func (e AccountExpiry) Warn(now time.Time) bool { return e.DaysLeft(now) <= PasswordWarningDays }

// Expired reports whether the password has expired: the day is past.
func (e AccountExpiry) Expired(now time.Time) bool { return e.DaysLeft(now) < 0 }

// EnqueueCheckAccount has CheckAccount run once on day (a task per day: the
// kick, every few minutes, would otherwise ask Chorus Pro each time).
func (p *Pipeline) EnqueueCheckAccount(ctx context.Context, day time.Time) error {
	return p.enqueue(ctx, TypeCheckAccount, struct{}{}, "account:"+day.Format(time.DateOnly), asynq.Queue(QueueLow))
}

// HandleCheckAccount runs CheckAccount.
func (p *Pipeline) HandleCheckAccount(ctx context.Context, _ *asynq.Task) error {
	return p.CheckAccount(ctx)
}
