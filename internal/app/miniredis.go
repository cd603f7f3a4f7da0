package app

import (
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// StartMiniredis serves an in-process Redis on 127.0.0.1 (for the demo and
// the bench's embedded row) and returns its URL and a function to stop it.
func StartMiniredis() (string, func(), error) {
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return "", nil, fmt.Errorf("embedded redis: %w", err)
	}
	// Without it, keys with a TTL never expire (../shared/research/asynq.md §1).
	stopTTL := make(chan struct{})
	var ticking sync.WaitGroup
	ticking.Go(func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopTTL:
				return
			case <-t.C:
				mr.FastForward(200 * time.Millisecond)
			}
		}
	})
	return "redis://" + mr.Addr() + "/0", func() {
		close(stopTTL)
		ticking.Wait()
		mr.Close()
	}, nil
}
