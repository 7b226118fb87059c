// Package thousands writes numbers the way the benchmark reports print them, with
// a comma between every three digits: 1,000,000.
package thousands
