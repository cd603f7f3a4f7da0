package lab

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/chorusbill/chorusbill/internal/app"
)

// Chaos refuses to restart PostgreSQL unless it was given a server the lab
// started itself, before touching anything (the Redis given is nowhere).
func TestChaosRefusesRestartWithoutItsOwnServer(t *testing.T) {
	conf := app.Config{DatabaseURL: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"}
	err := Chaos(context.Background(), conf, ChaosOptions{Establishments: 1, Workers: 1, RestartPostgres: true,
		RedisURL: "redis://127.0.0.1:1/0", Timeout: 1}, io.Discard, io.Discard)
	if !errors.Is(err, ErrRestartNotOwn) {
		t.Fatalf("err = %v, want ErrRestartNotOwn", err)
	}
}

// Chaos refuses to restart a Redis it was not given as its own (a URL
// only), before touching anything.
func TestChaosRefusesRedisRestartWithoutItsOwnServer(t *testing.T) {
	conf := app.Config{DatabaseURL: "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable"}
	err := Chaos(context.Background(), conf, ChaosOptions{Establishments: 1, Workers: 1, RestartRedis: true,
		RedisURL: "redis://127.0.0.1:1/0", Timeout: 1}, io.Discard, io.Discard)
	if !errors.Is(err, ErrRestartNotOwnRedis) {
		t.Fatalf("err = %v, want ErrRestartNotOwnRedis", err)
	}
}
