package main

import (
	"strings"
	"unicode/utf8"
)

// formatTable aligns rows under header in columns two spaces apart; the first column is
// left-aligned, the others right-aligned (numbers).
func formatTable(header []string, rows [][]string) string {
	all := append([][]string{header}, rows...)
	width := make([]int, len(header))
	for _, row := range all {
		for i, cell := range row {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	for _, row := range all {
		for i, cell := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell))
			switch {
			case i == 0:
				b.WriteString(cell + pad)
			default:
				b.WriteString("  " + pad + cell)
			}
		}
		b.WriteString("\n")
	}
	return trimLines(b.String())
}

// trimLines drops the blanks that empty cells leave at the ends of lines.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// verdict is "pass" or "FAIL".
func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}
