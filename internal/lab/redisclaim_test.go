package lab

import (
	"context"
	"errors"
	"testing"

	"github.com/chorusbill/chorusbill/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// The lab flushes only a Redis DB it found empty or claimed before: a DB
// holding someone else's keys is refused and left as it was.
func TestClaimRedis(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t)
	for _, tc := range []struct {
		name    string
		db      int
		foreign bool
	}{
		{"empty DB", 1, false},
		{"DB in use by something else", 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: addr, DB: tc.db})
			defer rdb.Close()
			if tc.foreign {
				rdb.Set(ctx, "someone:else", "keep me", 0)
			}
			err := claimRedis(ctx, rdb, "redis://"+addr)
			var inUse *RedisInUseError
			if tc.foreign {
				if !errors.As(err, &inUse) || inUse.Keys != 1 {
					t.Fatalf("claim of a DB in use: %v", err)
				}
				if v, _ := rdb.Get(ctx, "someone:else").Result(); v != "keep me" {
					t.Fatal("the foreign key was touched")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rdb.Set(ctx, "asynq:work", "x", 0)
			if err := flushOwn(ctx, rdb); err != nil {
				t.Fatal(err)
			}
			if n, _ := rdb.DBSize(ctx).Result(); n != 1 {
				t.Fatalf("after flushOwn, %d keys (want the claim only)", n)
			}
			rdb.Set(ctx, "asynq:work", "x", 0)
			if err := claimRedis(ctx, rdb, "redis://"+addr); err != nil {
				t.Fatalf("a DB a lab run claimed, claimed again: %v", err)
			}
		})
	}
}
