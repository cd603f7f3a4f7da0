package main

import (
	"context"
	"flag"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/internal/lab"
	"github.com/redis/go-redis/v9"
)

func runChaos(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	var o lab.ChaosOptions
	fs.IntVar(&o.Establishments, "establishments", 10000, "establishments to generate")
	fs.IntVar(&o.Workers, "workers", 3, "worker processes")
	fs.DurationVar(&o.KillEvery, "kill-every", 4*time.Second, "kill a random worker this often")
	fs.BoolVar(&o.RestartPostgres, "restart-postgres", false, "restart PostgreSQL once during the run (pg_ctlcluster)")
	fs.StringVar(&o.RedisURL, "redis", "", "Redis `URL` of the run's own (required: the run flushes it; scripts/chaos starts one)")
	fs.DurationVar(&o.Timeout, "timeout", 20*time.Minute, "give up after this long")
	bin := chorusbillFlag(fs)
	if err := c.parse(fs, "[--establishments N] [--workers W]", lab.ChaosAbout, args); err != nil {
		return err
	}
	if c.cfgErr != nil {
		return c.cfgErr
	}
	if !strings.HasPrefix(c.cfg.DatabaseURL, "postgres") {
		return usagef("%s must name a PostgreSQL database (the chaos run restarts it)", app.EnvDatabaseURL)
	}
	if o.RedisURL == "" {
		return usagef("--redis is required: the chaos run flushes it, so give it a Redis of its own (scripts/chaos starts one)")
	}
	if _, err := redis.ParseURL(o.RedisURL); err != nil {
		return usagef("--redis: %v", err)
	}
	o.Chorusbill = *bin
	if err := checkBinary(o.Chorusbill); err != nil {
		return err
	}
	return lab.Chaos(ctx, c.cfg, o, c.stdout, c.stderr)
}
