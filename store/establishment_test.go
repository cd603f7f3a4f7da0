package store

import (
	"context"
	"fmt"
	"testing"
)

// TestSearchEstablishmentsPage pages through more matches than a page
// holds: each page says the count of all, and the pages together hold
// each match once, in name order, ignoring accents and case.
func TestSearchEstablishmentsPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const n = 7
		for i := range n {
			id := addEstablishment(t, s, fmt.Sprintf("%014d", i+1))
			if _, err := s.db.ExecContext(ctx, s.rebind(`UPDATE establishments SET name = ? WHERE id = ?`), fmt.Sprintf("Collège n°%d", i), id); err != nil {
				t.Fatal(err)
			}
		}
		addEstablishment(t, s, "99999999999999") // "Établissement 9999…": no match
		for _, tc := range []struct {
			query         string
			limit, offset int
			count         int
			names         []string
		}{
			{"college", 3, 0, n, []string{"Collège n°0", "Collège n°1", "Collège n°2"}},
			{"COLLÈGE", 3, 6, n, []string{"Collège n°6"}},
			{"college", 3, 9, n, nil},
			{"00000000000004", 0, 0, 1, []string{"Collège n°3"}},
			{"etablissement", 10, 0, 1, []string{"Établissement 99999999999999"}},
			{"lycée", 10, 0, 0, nil},
			{"  ", 10, 0, 0, nil},
		} {
			hits, err := s.SearchEstablishmentsPage(ctx, tc.query, tc.limit, tc.offset)
			if err != nil {
				t.Fatalf("%q: %v", tc.query, err)
			}
			var names []string
			for _, e := range hits.Rows {
				names = append(names, e.Name)
			}
			if hits.Count != tc.count || fmt.Sprint(names) != fmt.Sprint(tc.names) {
				t.Errorf("%q limit %d offset %d: %d %q, want %d %q", tc.query, tc.limit, tc.offset, hits.Count, names, tc.count, tc.names)
			}
		}
		if list, err := s.SearchEstablishments(ctx, "collège", 2); err != nil || len(list) != 2 {
			t.Errorf("SearchEstablishments limit 2: %d (%v)", len(list), err)
		}
	})
}
