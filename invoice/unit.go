package invoice

import "github.com/shopspring/decimal"

// unitNames are the French names of the UN/ECE Recommendation 20 units a
// line may carry, singular then plural; a count (C62, "one") has none: the
// number says it.
var unitNames = map[string][2]string{
	UnitOne:   {"", ""},
	"":        {"", ""},
	"H87":     {"pièce", "pièces"},
	UnitMonth: {"mois", "mois"},
	"DAY":     {"jour", "jours"},
	"HUR":     {"heure", "heures"},
	"MIN":     {"minute", "minutes"},
	"WEE":     {"semaine", "semaines"},
	"ANN":     {"an", "ans"},
	"E34":     {"Go", "Go"},
	"4L":      {"Mo", "Mo"},
	"E35":     {"To", "To"},
}

// UnitName is the French name of a unit for a quantity q: singular below
// two ("1 jour", "1,5 jour"), plural from two ("2 jours"), as French
// writes; "" for a count. A code not known here is shown as is.
func UnitName(code string, q decimal.Decimal) string {
	n, ok := unitNames[code]
	if !ok {
		return code
	}
	if q.Abs().LessThan(decimal.NewFromInt(2)) {
		return n[0]
	}
	return n[1]
}
