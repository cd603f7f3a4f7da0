package chorus

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// Limiter paces calls to Chorus Pro.
type Limiter interface {
	Wait(ctx context.Context) error
}

// NewLocalLimiter limits the calls of this process (the embedded mode).
func NewLocalLimiter(perSecond float64) Limiter {
	burst := int(perSecond)
	if burst < 1 {
		burst = 1
	}
	return rate.NewLimiter(rate.Limit(perSecond), burst)
}

// RedisLimiter limits the calls of every worker process sharing one Redis:
// a GCRA limiter (redis_rate) on one key.
type RedisLimiter struct {
	limiter *redis_rate.Limiter
	key     string
	limit   redis_rate.Limit
}

// NewRedisLimiter shares perSecond calls per second between every process
// using the same Redis and key.
func NewRedisLimiter(rdb redis.UniversalClient, key string, perSecond int) *RedisLimiter {
	return &RedisLimiter{limiter: redis_rate.NewLimiter(rdb), key: key, limit: redis_rate.PerSecond(perSecond)}
}

// Wait blocks until the shared limit allows one more call.
func (l *RedisLimiter) Wait(ctx context.Context) error {
	for {
		res, err := l.limiter.Allow(ctx, l.key, l.limit)
		if err != nil {
			return fmt.Errorf("chorus rate limit: %w", err)
		}
		if res.Allowed > 0 {
			return nil
		}
		wait := res.RetryAfter
		if wait <= 0 {
			wait = 10 * time.Millisecond
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

type noLimit struct{}

func (noLimit) Wait(ctx context.Context) error { return ctx.Err() }
