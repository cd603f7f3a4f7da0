package redisserver

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// A restart is a real one: the same address, and nothing of what was
// written survives (no snapshot, no append-only file).
func TestRestartIsEmptyOnTheSameAddress(t *testing.T) {
	ctx := context.Background()
	s, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr != addr {
		t.Fatalf("restarted on %s, was %s", s.Addr, addr)
	}
	if n, err := rdb.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Fatalf("after the restart: %d keys, %v; want an empty Redis", n, err)
	}
}
