package lab

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// claimKey marks a Redis DB as a lab run's own: the bench and the chaos run
// flush their DB, which they may do only to a DB they found empty (or an
// earlier lab run claimed), never to one that something else uses.
const claimKey = "chorusbill:lab-owned"

// RedisInUseError refuses a Redis DB that holds keys no lab run put there.
type RedisInUseError struct {
	URL  string
	Keys int64
}

func (e *RedisInUseError) Error() string {
	return fmt.Sprintf("redis %s holds %d key(s) that are not a lab run's: it is flushed during the run, so give it a Redis of its own (scripts/bench and scripts/chaos start one)",
		redactUserinfo(e.URL), e.Keys)
}

// claimRedis makes the DB of rdb the lab's: it must be empty or claimed by
// an earlier lab run, else *RedisInUseError.
func claimRedis(ctx context.Context, rdb redis.UniversalClient, url string) error {
	claimed, err := rdb.Exists(ctx, claimKey).Result()
	if err != nil {
		return fmt.Errorf("redis %s: %w", redactUserinfo(url), err)
	}
	if claimed == 0 {
		n, err := rdb.DBSize(ctx).Result()
		if err != nil {
			return fmt.Errorf("redis %s: %w", redactUserinfo(url), err)
		}
		if n > 0 {
			return &RedisInUseError{URL: url, Keys: n}
		}
	}
	return rdb.Set(ctx, claimKey, "1", 0).Err()
}

// flushOwn empties a claimed DB and claims it again, in one transaction.
func flushOwn(ctx context.Context, rdb redis.UniversalClient) error {
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.FlushDB(ctx)
		p.Set(ctx, claimKey, "1", 0)
		return nil
	})
	return err
}
