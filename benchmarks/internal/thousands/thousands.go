package thousands

import (
	"strconv"
	"strings"
)

// Group puts the separators into a whole number already written in decimal,
// after its sign if it has one: "-1234567" is "-1,234,567". Callers that format
// the number themselves (a float rounded with "%.0f") use it directly.
func Group(s string) string {
	sign, digits := "", s
	if strings.HasPrefix(s, "-") {
		sign, digits = "-", s[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Int writes n with separators: -10,000,000.
func Int(n int64) string { return Group(strconv.FormatInt(n, 10)) }

// Uint writes v with separators: 10,000,000.
func Uint(v uint64) string { return Group(strconv.FormatUint(v, 10)) }
