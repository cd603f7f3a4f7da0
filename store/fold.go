package store

import (
	"strings"
)

// Searches ignore case and French accents ("college" finds « Collège »):
// the text searched and the text typed are folded by the same table, in
// SQL (foldSQL) and in Go (fold), so that the two cannot disagree.

// foldPairs maps each accented letter, ligature or typographic apostrophe
// a French name holds to what it is searched as. Upper-case letters are
// listed too: SQLite's LOWER folds ASCII only.
var foldPairs = [][2]string{
	{"à", "a"}, {"á", "a"}, {"â", "a"}, {"ä", "a"}, {"ã", "a"}, {"å", "a"},
	{"À", "a"}, {"Á", "a"}, {"Â", "a"}, {"Ä", "a"}, {"Ã", "a"}, {"Å", "a"},
	{"ç", "c"}, {"Ç", "c"},
	{"é", "e"}, {"è", "e"}, {"ê", "e"}, {"ë", "e"},
	{"É", "e"}, {"È", "e"}, {"Ê", "e"}, {"Ë", "e"},
	{"î", "i"}, {"ï", "i"}, {"í", "i"}, {"ì", "i"},
	{"Î", "i"}, {"Ï", "i"}, {"Í", "i"}, {"Ì", "i"},
	{"ô", "o"}, {"ö", "o"}, {"ó", "o"}, {"ò", "o"}, {"õ", "o"},
	{"Ô", "o"}, {"Ö", "o"}, {"Ó", "o"}, {"Ò", "o"}, {"Õ", "o"},
	{"ù", "u"}, {"û", "u"}, {"ü", "u"}, {"ú", "u"},
	{"Ù", "u"}, {"Û", "u"}, {"Ü", "u"}, {"Ú", "u"},
	{"ÿ", "y"}, {"ý", "y"}, {"Ÿ", "y"}, {"Ý", "y"},
	{"ñ", "n"}, {"Ñ", "n"},
	{"œ", "oe"}, {"Œ", "oe"}, {"æ", "ae"}, {"Æ", "ae"},
	{"’", "'"}, {"‘", "'"},
}

var folder = func() *strings.Replacer {
	args := make([]string, 0, 2*len(foldPairs))
	for _, p := range foldPairs {
		args = append(args, p[0], p[1])
	}
	return strings.NewReplacer(args...)
}()

// fold is text as searches compare it: lower case, without accents.
func fold(s string) string { return strings.ToLower(folder.Replace(s)) }

// foldSQL is the SQL expression of fold applied to expr.
func foldSQL(expr string) string {
	out := expr
	for _, p := range foldPairs {
		out = "REPLACE(" + out + ", " + sqlString(p[0]) + ", " + sqlString(p[1]) + ")"
	}
	return "LOWER(" + out + ")"
}

// foldLike is the LIKE pattern of a substring search for what was typed.
func foldLike(typed string) string { return "%" + escapeLike(fold(strings.TrimSpace(typed))) + "%" }

// sqlString is s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
