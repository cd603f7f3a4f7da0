package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/fixtures"
)

// BenchmarkImportEstablishments imports generated establishments into an
// empty store, once per engine: rows/s and the peak Go heap during the import.
// CHORUSBILL_BENCH_ESTABLISHMENTS sets the size (default 100,000):
//
//	go test -run '^$' -bench ImportEstablishments -benchtime 1x ./store/
func BenchmarkImportEstablishments(b *testing.B) {
	n := 100_000
	if v := os.Getenv("CHORUSBILL_BENCH_ESTABLISHMENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	var csv, usage bytes.Buffer
	if err := fixtures.Generate(n, 1, &csv, &usage); err != nil {
		b.Fatal(err)
	}
	cat := testCatalog(b)
	for _, e := range engines() {
		b.Run(fmt.Sprintf("%s/%d", e.name, n), func(b *testing.B) {
			var total time.Duration
			var peak uint64
			for b.Loop() {
				b.StopTimer()
				s := e.open(b)
				runtime.GC()
				stop := sampleHeap(&peak)
				b.StartTimer()
				start := time.Now()
				res, err := s.ImportEstablishments(context.Background(), "generated.csv", bytes.NewReader(csv.Bytes()), cat, "bench")
				total += time.Since(start)
				b.StopTimer()
				stop()
				if err != nil || res.Added != n {
					b.Fatalf("import: %v %s", err, res)
				}
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// sampleHeap records the largest live heap seen until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for !done.Load() {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > *peak {
				*peak = m.HeapAlloc
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return func() { done.Store(true); wg.Wait() }
}
