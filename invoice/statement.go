package invoice

import "github.com/shopspring/decimal"

// StatementRow is one service of an overage statement: what was observed
// over the year against its allowance, and what that costs.
type StatementRow struct {
	Code      string
	Label     string
	Unit      string
	Usage     Usage
	UnitPrice decimal.Decimal
	Amount    decimal.Decimal
}
