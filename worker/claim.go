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

// defaultClaimTTL bounds a claim when the tasks have no timeout.
const defaultClaimTTL = 5 * time.Minute

// errDepositElsewhere is a deposit another delivery holds the claim of.
var errDepositElsewhere = errors.New("another delivery is depositing this invoice")

// claimDeposit claims invoice id's deposit; release lets it go (a no-op
// when not claimed).
func (p *Pipeline) claimDeposit(ctx context.Context, id int64) (release func(), ok bool, err error) {
	token := p.actor + ":" + rand.Text()
	ttl := p.cfg.TaskTimeout
	if ttl <= 0 {
		ttl = defaultClaimTTL
	}
	if ok, err = p.books.ClaimDeposit(ctx, id, token, ttl); err != nil || !ok {
		return func() {}, false, err
	}
	return func() {
		if err := p.books.ReleaseDeposit(context.WithoutCancel(ctx), id, token); err != nil {
			// The claim expires by itself: a later delivery waits for it.
			p.log.Warn("release a deposit claim", "invoice", id, "error", err)
		}
	}, true, nil
}
