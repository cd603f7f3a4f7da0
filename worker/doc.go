// Package worker orchestrates chorusbill's work: it turns the books and the
// tariff into invoices and their documents, and (as the pipeline grows) runs
// them as asynq tasks on Redis — issue, deliver, track, interest.
package worker
