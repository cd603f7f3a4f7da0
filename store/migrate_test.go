package store

import (
	"context"
	"sort"
	"testing"
)

func TestMigrateIsIdempotentAndSameOnBothEngines(t *testing.T) {
	ctx := context.Background()
	columns := map[string][]string{}
	forEachEngine(t, func(t *testing.T, s *Store) {
		n, err := s.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d: %v", n, err)
		}
		var cols []string
		q := `SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = current_schema()`
		if s.Dialect() == SQLite {
			q = `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
				WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
		}
		if err := s.db.SelectContext(ctx, &cols, q); err != nil {
			t.Fatal(err)
		}
		sort.Strings(cols)
		columns[s.Dialect().String()] = cols
		if len(cols) < 80 {
			t.Errorf("only %d columns", len(cols))
		}
	})
	pg, lite := columns["postgres"], columns["sqlite"]
	if len(pg) != len(lite) {
		t.Fatalf("postgres has %d columns, sqlite %d", len(pg), len(lite))
	}
	for i := range pg {
		if pg[i] != lite[i] {
			t.Errorf("column %d: postgres %s, sqlite %s", i, pg[i], lite[i])
		}
	}
}
