package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/internal/lab"
	"github.com/chorusbill/chorusbill/internal/pgserver"
	"github.com/chorusbill/chorusbill/internal/redisserver"
	"github.com/redis/go-redis/v9"
)

func runChaos(ctx context.Context, c *cli, args []string) (err error) {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	var o lab.ChaosOptions
	fs.IntVar(&o.Establishments, "establishments", 10000, "establishments to generate (1 % more are imported during the run)")
	fs.IntVar(&o.Workers, "workers", 3, "worker processes (the first two with their clock 90 s ahead and behind)")
	fs.DurationVar(&o.KillEvery, "kill-every", 4*time.Second, "kill a random worker this often during the fault phase")
	private := fs.Bool("private-postgres", false, "bill on a PostgreSQL server of the run's own (initdb in a temp dir, a free port of 127.0.0.1), removed at the end, instead of "+app.EnvDatabaseURL+"'s; the default when that is unset")
	fs.BoolVar(&o.RestartPostgres, "restart-postgres", false, "stop PostgreSQL for --outage once during the run, then start it again (postgres-outage): only the run's own server (--private-postgres)")
	fs.DurationVar(&o.Outage, "outage", 0, "how long PostgreSQL stays down (default 20s, 10s under 1,000 establishments)")
	fs.BoolVar(&o.RestartRedis, "restart-redis", false, "kill Redis once during the run and start it again, empty (redis-restart): only the run's own (no --redis)")
	fs.StringVar(&o.RedisURL, "redis", "", "Redis `URL` of the run, instead of a redis-server of its own on a free port: the run flushes it and never restarts it")
	fs.DurationVar(&o.Settle, "settle", 0, "after the fault phase, how long the run may take to settle before it is judged stuck (default 3m, 2m under 5,000 establishments)")
	fs.DurationVar(&o.Timeout, "timeout", 20*time.Minute, "give up after this long")
	bin := chorusbillFlag(fs)
	if err := c.parse(fs, "[--establishments N] [--workers W] [--private-postgres] [--restart-postgres] [--restart-redis]", lab.ChaosAbout, args); err != nil {
		return err
	}
	if c.cfgErr != nil {
		return c.cfgErr
	}
	ownPostgres := *private || c.cfg.DatabaseURL == ""
	if o.RestartPostgres && !ownPostgres {
		return usagef("--restart-postgres restarts only a PostgreSQL server the run started itself (--private-postgres), never the one %s names: other programs may be using it", app.EnvDatabaseURL)
	}
	if !ownPostgres && !strings.HasPrefix(c.cfg.DatabaseURL, "postgres") {
		return usagef("%s must name a PostgreSQL database (or leave it unset, or give --private-postgres, for a server of the run's own)", app.EnvDatabaseURL)
	}
	if o.RedisURL != "" {
		if o.RestartRedis {
			return usagef("--restart-redis restarts only a Redis the run started itself, never the one --redis names: other programs may be using it")
		}
		if _, err := redis.ParseURL(o.RedisURL); err != nil {
			return usagef("--redis: %v", err)
		}
	}
	o.Chorusbill = *bin
	if err := checkBinary(o.Chorusbill); err != nil {
		return err
	}
	if o.RedisURL == "" {
		srv, err := redisserver.Start("")
		if err != nil {
			return fmt.Errorf("start the run's own Redis: %w", err)
		}
		defer srv.Stop()
		fmt.Fprintf(c.stdout, "chaos: Redis: the run's own redis-server on %s (nothing kept on disk)\n", srv.Addr)
		o.Redis = srv
	}
	if ownPostgres {
		srv, err := pgserver.Start(ctx, pgserver.Options{Database: "chorusbill_chaos"})
		if err != nil {
			return fmt.Errorf("start the run's own PostgreSQL server: %w", err)
		}
		defer func() { err = errors.Join(err, srv.Stop(context.WithoutCancel(ctx))) }()
		fmt.Fprintf(c.stdout, "chaos: PostgreSQL: the run's own server on %s (in %s, removed at the end)\n", srv.Addr(), srv.Dir())
		c.cfg.DatabaseURL, o.Postgres = srv.URL(), srv
	}
	return lab.Chaos(ctx, c.cfg, o, c.stdout, c.stderr)
}
