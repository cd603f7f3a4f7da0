package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The sweep's cursor only moves forward; the last sweep's figures are kept.
func TestSweepState(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		if _, ok, err := s.SweepState(ctx); err != nil || ok {
			t.Fatalf("before any sweep: ok %v, %v", ok, err)
		}
		t1 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		steps := []struct {
			record     Sweep
			wantCursor time.Time
		}{
			{Sweep{Cursor: t1, SweptAt: t1, Pages: 3, Found: 250}, t1},
			{Sweep{Cursor: t1.Add(time.Hour), SweptAt: t1.Add(time.Hour), Pages: 1, Found: 7}, t1.Add(time.Hour)},
			// A slower worker's sweep that began earlier does not move it back.
			{Sweep{Cursor: t1.Add(30 * time.Minute), SweptAt: t1.Add(2 * time.Hour), Pages: 1, Found: 0}, t1.Add(time.Hour)},
		}
		for i, st := range steps {
			if err := s.RecordSweep(ctx, st.record); err != nil {
				t.Fatal(err)
			}
			got, ok, err := s.SweepState(ctx)
			if err != nil || !ok {
				t.Fatalf("step %d: ok %v, %v", i, ok, err)
			}
			if !got.Cursor.Equal(st.wantCursor) || !got.SweptAt.Equal(st.record.SweptAt) || got.Pages != st.record.Pages || got.Found != st.record.Found {
				t.Errorf("step %d: %+v; want cursor %s and %+v", i, got, st.wantCursor, st.record)
			}
		}
	})
}

// A directory entry is kept, replaced, and forgotten.
func TestDirectoryEntries(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		if _, err := s.DirectoryEntry(ctx, "21299951000010"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown entry: %v", err)
		}
		at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		for i, data := range []string{`{"siret":"21299951000010","onChorus":true}`, `{"siret":"21299951000010","onChorus":false}`} {
			e := DirectoryEntry{SIRET: "21299951000010", Data: data, FetchedAt: at.Add(time.Duration(i) * time.Hour)}
			if err := s.PutDirectoryEntry(ctx, e); err != nil {
				t.Fatal(err)
			}
			got, err := s.DirectoryEntry(ctx, e.SIRET)
			if err != nil || got.Data != data || !got.FetchedAt.Equal(e.FetchedAt) {
				t.Errorf("entry %d: %+v, %v", i, got, err)
			}
		}
		if err := s.ForgetDirectoryEntry(ctx, "21299951000010"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DirectoryEntry(ctx, "21299951000010"); !errors.Is(err, ErrNotFound) {
			t.Errorf("forgotten entry: %v", err)
		}
	})
}

// A pause keeps its start while calls try again, and is lifted once.
func TestDeliveryPause(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		if _, ok, err := s.DeliveryPause(ctx); err != nil || ok {
			t.Fatalf("not paused: ok %v, %v", ok, err)
		}
		t1 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		if err := s.PauseDeliveries(ctx, "HTTP 403", t1); err != nil {
			t.Fatal(err)
		}
		if err := s.PauseDeliveries(ctx, "HTTP 403 again", t1.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		p, ok, err := s.DeliveryPause(ctx)
		if err != nil || !ok || p.Reason != "HTTP 403 again" || !p.Since.Equal(t1) || !p.TriedAt.Equal(t1.Add(5*time.Minute)) {
			t.Fatalf("pause: %+v ok %v, %v", p, ok, err)
		}
		for i, want := range []bool{true, false} {
			if was, err := s.ResumeDeliveries(ctx); err != nil || was != want {
				t.Errorf("resume %d: %v, %v; want %v", i, was, err, want)
			}
		}
	})
}
