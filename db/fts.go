package db

import (
	"strings"
	"unicode"
)

// maxSearchTerms bounds how many terms one search may hold, so a pasted
// essay cannot turn into a slow query.
const maxSearchTerms = 16

// MatchExpr turns what a person typed into a search box into an FTS5 MATCH
// expression that can never be a syntax error. FTS5 gives meaning to
// quotes, stars, parentheses, minus, colons and the words AND, OR, NOT and
// NEAR; a search box should not. So the input is cut into terms, each term
// keeps only its letters and digits, and every term is written back quoted.
// Three things keep their meaning because people expect them: a balanced
// "quoted phrase" matches those words in a row, a trailing star makes a
// prefix search (word*), and several terms must all match. An unbalanced
// quote is ignored. The result is "" when nothing searchable is left.
func MatchExpr(input string) string {
	var terms []string
	for _, t := range splitTerms(input) {
		if len(terms) == maxSearchTerms {
			break
		}
		if e := t.expr(); e != "" {
			terms = append(terms, e)
		}
	}
	return strings.Join(terms, " ")
}

// term is one search term as typed: a phrase of words, maybe a prefix.
type term struct {
	text   string
	prefix bool
}

// expr writes the term as a quoted FTS5 string. Only letters, digits and
// marks survive, joined by single spaces, so nothing inside the quotes can
// close them or mean anything to FTS5.
func (t term) expr() string {
	words := strings.FieldsFunc(t.text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	if len(words) == 0 {
		return ""
	}
	e := `"` + strings.Join(words, " ") + `"`
	if t.prefix {
		e += "*"
	}
	return e
}

// splitTerms cuts input into balanced "phrases" and space-separated words.
// A quote without a partner is treated as a space.
func splitTerms(input string) []term {
	var out []term
	rest := input
	for rest != "" {
		open := strings.IndexByte(rest, '"')
		if open < 0 {
			return append(out, words(rest)...)
		}
		closing := strings.IndexByte(rest[open+1:], '"')
		if closing < 0 {
			return append(out, words(rest[:open]+" "+rest[open+1:])...)
		}
		out = append(out, words(rest[:open])...)

		// A star right after the closing quote makes the phrase a prefix.
		phrase := term{text: rest[open+1 : open+1+closing]}
		rest = rest[open+closing+2:]
		if strings.HasPrefix(rest, "*") {
			phrase.prefix, rest = true, rest[1:]
		}
		out = append(out, phrase)
	}
	return out
}

// words splits plain text on spaces; a word ending in * is a prefix.
func words(s string) []term {
	var out []term
	for _, f := range strings.Fields(s) {
		t := term{text: f}
		if strings.HasSuffix(f, "*") {
			t.text, t.prefix = strings.TrimRight(f, "*"), true
		}
		out = append(out, t)
	}
	return out
}
