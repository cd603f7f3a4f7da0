package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/internal/lab"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
)

// intList is a flag of comma-separated positive integers.
type intList []int

func (l *intList) String() string {
	parts := make([]string, len(*l))
	for i, n := range *l {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (l *intList) Set(s string) error {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(part, "_", "")))
		if err != nil || n < 1 || n > fixtures.MaxGenerated {
			return fmt.Errorf("%q is not a number of establishments (1 to %d)", part, fixtures.MaxGenerated)
		}
		out = append(out, n)
	}
	sort.Ints(out)
	*l = out
	return nil
}

func runBench(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := lab.BenchOptions{Sizes: intList{10_000, 100_000}}
	fs.Var((*intList)(&o.Sizes), "establishments", "`SIZES` to bill, comma-separated")
	fs.IntVar(&o.Workers, "workers", 1, "worker processes (\"chorusbill work\"), or pipelines in this process with --in-process")
	fs.BoolVar(&o.InProcess, "in-process", false, "run the workers' pipelines in this process, beside the sandbox (no per-worker figures)")
	fs.IntVar(&o.Concurrency, "concurrency", worker.DefaultConfig().Concurrency, "tasks each worker runs at once")
	fs.IntVar(&o.Noop, "noop", 50_000, "no-op tasks of the ceiling measure")
	fs.IntVar(&o.Lifecycle, "lifecycle", 2_000, "also follow `SIZE` establishments' invoices from deposit to payment, counting the Chorus Pro calls; 0 to skip")
	fs.IntVar(&o.Embedded, "embedded", 10_000, "also bill `SIZE` establishments on the embedded stack (miniredis + SQLite, in this process); 0 to skip")
	fs.Int64Var(&o.Seed, "seed", 1, "seed of the generated establishments")
	fs.StringVar(&o.ProfileDir, "profile", "", "write CPU and heap profiles of each pipeline phase (this process's and each worker's) into `DIR`")
	fs.StringVar(&o.RedisURL, "redis", "", "Redis `URL` of the bench's own (required: its DB is flushed; scripts/bench starts one)")
	fs.StringVar(&o.PostgresURL, "postgres", c.cfg.BenchPostgresURL, "PostgreSQL `URL` to make the bench's schemas in ($"+app.EnvBenchPostgres+", else $"+app.EnvTestPostgres+")")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "give up a phase after this long")
	bin := chorusbillFlag(fs)
	if err := c.parse(fs, "[--establishments 10000,100000] [--workers N] [--concurrency C] [--embedded SIZE] [--profile DIR]", lab.BenchAbout, args); err != nil {
		return err
	}
	switch {
	case len(o.Sizes) == 0:
		return usagef("--establishments needs at least one size")
	case o.Workers < 1:
		return usagef("--workers must be 1 or more")
	case o.Concurrency < 1:
		return usagef("--concurrency must be 1 or more")
	case o.Noop < 1:
		return usagef("--noop must be 1 or more")
	case o.Lifecycle < 0 || o.Lifecycle > fixtures.MaxGenerated:
		return usagef("--lifecycle must be 0 (none) to %d establishments", fixtures.MaxGenerated)
	case o.Embedded < 0 || o.Embedded > fixtures.MaxGenerated:
		return usagef("--embedded must be 0 (none) to %d establishments", fixtures.MaxGenerated)
	}
	if o.RedisURL == "" {
		return usagef("--redis is required: the bench flushes it, so give it a Redis of its own (scripts/bench starts one)")
	}
	if _, err := asynq.ParseRedisURI(o.RedisURL); err != nil {
		return usagef("--redis: %v", err)
	}
	if o.Chorusbill = *bin; !o.InProcess {
		if err := checkBinary(o.Chorusbill); err != nil {
			return err
		}
	}
	if c.cfgErr != nil {
		return c.cfgErr
	}
	return lab.Bench(ctx, c.cfg, o, c.stdout, c.stderr)
}
