package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/hibiken/asynq"
)

// deployment is what `work` and `serve` say at start about the books and
// the Redis they use, as log attributes, no password in them: two
// deployments must not share one Redis database (a worker refuses the
// tasks of other books), and this line is where an operator sees which
// books (books_id, the identity their tasks carry) and which Redis
// database a process uses.
func deployment(ctx context.Context, conf app.Config, s *app.Stack) ([]any, error) {
	id, err := s.Books.Identity(ctx)
	if err != nil {
		return nil, err
	}
	where, db := redisPlace(s.Redis)
	attrs := []any{"database", s.Books.Dialect(), "books", conf.BooksPlace(), "books_id", id, "redis", where}
	if db >= 0 {
		attrs = append(attrs, "redis_db", db)
	}
	return attrs, nil
}

// redisPlace names a Redis connection without its credentials, and its
// database number (-1 for a cluster, which has only one).
func redisPlace(opt asynq.RedisConnOpt) (where string, db int) {
	switch o := opt.(type) {
	case *asynq.RedisClientOpt:
		return redisPlace(*o)
	case *asynq.RedisFailoverClientOpt:
		return redisPlace(*o)
	case *asynq.RedisClusterClientOpt:
		return redisPlace(*o)
	case asynq.RedisClientOpt:
		switch {
		case o.Network == "unix":
			return (&url.URL{Scheme: "redis-socket", Path: o.Addr}).String(), o.DB
		case o.TLSConfig != nil:
			return "rediss://" + o.Addr, o.DB
		}
		return "redis://" + o.Addr, o.DB
	case asynq.RedisFailoverClientOpt:
		return fmt.Sprintf("redis-sentinel://%s?master=%s", strings.Join(o.SentinelAddrs, ","), url.QueryEscape(o.MasterName)), o.DB
	case asynq.RedisClusterClientOpt:
		return "redis-cluster://" + strings.Join(o.Addrs, ","), -1
	}
	return fmt.Sprintf("%T", opt), -1
}
