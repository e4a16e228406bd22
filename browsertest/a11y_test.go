package browsertest

import (
	_ "embed"
	"strings"
)

//go:embed a11y.js
var a11yScript string

// checkA11y runs the accessibility check on the current page and fails
// the test with every problem it finds.
func (b *tab) checkA11y(where string) {
	b.t.Helper()
	problems := eval[[]string](b, a11yScript)
	if len(problems) > 0 {
		b.t.Errorf("accessibility of %s:\n  %s", where, strings.Join(problems, "\n  "))
	}
}
