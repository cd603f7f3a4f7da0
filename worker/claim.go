package worker

import (
	"context"
	"crypto/rand"
	"errors"
	"time"
)

// A deposit is claimed in the books before the call and released once its
// answer is recorded (store.ClaimDeposit): two deliveries of one invoice —
// its task rebuilt from the books after Redis lost the queue while the
// first still ran — never deposit it both. The chaos run's count of every
// deposit per number found them.

// defaultClaimTTL bounds a claim when none is configured.
const defaultClaimTTL = 2 * time.Minute

// errDepositElsewhere is a deposit another delivery holds the claim of.
var errDepositElsewhere = errors.New("another delivery is depositing this invoice")

// claimDeposit claims invoice id's deposit for Config.DepositClaim. The
// call is made with callCtx, which ends before the claim does (an answer
// not received by then is uncertain: searched for before any new deposit);
// release lets the claim go once the answer is recorded (a no-op when not
// claimed).
func (p *Pipeline) claimDeposit(ctx context.Context, id int64) (callCtx context.Context, release func(), ok bool, err error) {
	token := p.actor + ":" + rand.Text()
	ttl := p.cfg.DepositClaim
	if ttl <= 0 {
		ttl = defaultClaimTTL
	}
	if ok, err = p.books.ClaimDeposit(ctx, id, token, ttl); err != nil || !ok {
		return ctx, func() {}, false, err
	}
	callCtx, cancel := context.WithTimeout(ctx, ttl*4/5)
	return callCtx, func() {
		cancel()
		if err := p.books.ReleaseDeposit(context.WithoutCancel(ctx), id, token); err != nil {
			// The claim expires by itself: a later delivery waits for it.
			p.log.Warn("release a deposit claim", "invoice", id, "error", err)
		}
	}, true, nil
}
