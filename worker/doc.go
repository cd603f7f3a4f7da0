// Package worker holds chorusbill's use cases and the asynq tasks that run
// them on Redis: billing runs issued in batches (run.go, batch.go), delivery
// (deliver.go, following channel.go's channel rule and outcome.go's deposit
// rule), tracking (track.go), late-payment interest (latepayment.go), the
// reconciler and scheduler, and the finance team's actions (resubmit.go,
// actions.go) that the dashboard and the command line call.
package worker
