package main

import (
	"context"
	"crypto/tls"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
)

// `work` and `serve` say at start which books (their identity too) and
// which Redis database they use, without the Redis password.
func TestStartSaysBooksAndRedis(t *testing.T) {
	for _, tc := range []struct {
		args []string
		line string
	}{
		{[]string{"work", "--no-auto-runs"}, "worker starting"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--insecure-cookies"}, "dashboard starting"},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			mr := miniredis.RunT(t)
			mr.RequireAuth("s3cret")
			dbPath := filepath.Join(t.TempDir(), "books.db")
			environ := map[string]string{envDatabaseURL: "sqlite://" + dbPath, envRedisURL: "redis://:s3cret@" + mr.Addr() + "/3", "CHORUS_ENV": "local"}
			ctx, cancel := context.WithCancel(context.Background())
			var out, errb syncBuffer
			done := make(chan int, 1)
			go func() { done <- run(ctx, tc.args, &out, &errb, func(k string) string { return environ[k] }) }()
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(errb.String(), tc.line) {
				if time.Now().After(deadline) {
					cancel()
					t.Fatalf("no %q line: %s", tc.line, errb.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("exit %d: %s", code, errb.String())
			}
			books, err := store.Open(context.Background(), "sqlite://"+dbPath)
			if err != nil {
				t.Fatal(err)
			}
			defer books.Close()
			id, err := books.Identity(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var line string
			for l := range strings.Lines(errb.String()) {
				if strings.Contains(l, tc.line) {
					line = l
				}
			}
			for _, want := range []string{"database=sqlite", "books=sqlite://" + dbPath, "books_id=" + id, "redis=redis://" + mr.Addr(), "redis_db=3"} {
				if !strings.Contains(line, want) {
					t.Errorf("start line lacks %q: %s", want, line)
				}
			}
			if strings.Contains(errb.String()+out.String(), "s3cret") {
				t.Errorf("the Redis password was printed:\n%s\n%s", out.String(), errb.String())
			}
		})
	}
}

func TestRedisPlace(t *testing.T) {
	for _, tc := range []struct {
		opt   asynq.RedisConnOpt
		where string
		db    int
	}{
		{asynq.RedisClientOpt{Addr: "10.0.0.5:6379", Password: "pw", DB: 2}, "redis://10.0.0.5:6379", 2},
		{&asynq.RedisClientOpt{Addr: "10.0.0.5:6379", Username: "u", Password: "pw"}, "redis://10.0.0.5:6379", 0},
		{asynq.RedisClientOpt{Addr: "r:6380", TLSConfig: &tls.Config{}, DB: 1}, "rediss://r:6380", 1},
		{asynq.RedisClientOpt{Network: "unix", Addr: "/run/redis.sock", DB: 4}, "redis-socket:///run/redis.sock", 4},
		{asynq.RedisFailoverClientOpt{MasterName: "mymaster", SentinelAddrs: []string{"s1:26379", "s2:26379"}, Password: "pw", DB: 5},
			"redis-sentinel://s1:26379,s2:26379?master=mymaster", 5},
		{asynq.RedisClusterClientOpt{Addrs: []string{"c1:7000", "c2:7000"}, Password: "pw"}, "redis-cluster://c1:7000,c2:7000", -1},
	} {
		where, db := redisPlace(tc.opt)
		if where != tc.where || db != tc.db || strings.Contains(where, "pw") {
			t.Errorf("%T: %s, db %s; want %s, db %d", tc.opt, where, strconv.Itoa(db), tc.where, tc.db)
		}
	}
}
