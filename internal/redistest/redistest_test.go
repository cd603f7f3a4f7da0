package redistest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Two tests' servers are apart: what one writes the other does not see.
func TestStartGivesPrivateServers(t *testing.T) {
	ctx := context.Background()
	a, b := Start(t), Start(t)
	if a == b {
		t.Fatalf("both servers at %s", a)
	}
	ra, rb := redis.NewClient(&redis.Options{Addr: a}), redis.NewClient(&redis.Options{Addr: b})
	defer ra.Close()
	defer rb.Close()
	if err := ra.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := rb.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("the second server sees the first's key: %d, %v", n, err)
	}
	if v, err := ra.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("get = %q, %v", v, err)
	}
}

// A stopped server refuses connections; restarted, it answers on the same
// address, empty.
func TestServerStopsAndRestarts(t *testing.T) {
	ctx := context.Background()
	s := StartServer(t)
	rc := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer rc.Close()
	if err := rc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := rc.Ping(ctx).Err(); err == nil {
		t.Fatal("a stopped server answers")
	}
	s.Restart()
	if err := rc.Ping(ctx).Err(); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
	if n, _ := rc.Exists(ctx, "k").Result(); n != 0 {
		t.Fatal("the restarted server kept a key")
	}
}
