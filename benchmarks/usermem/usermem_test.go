package main

import "testing"

// A small fill on both paths: every user counted (run checks the store's counts).
func TestRunSmall(t *testing.T) {
	for _, logging := range []bool{false, true} {
		if err := run(20_000, 3, logging); err != nil {
			t.Fatalf("log %v: %v", logging, err)
		}
	}
}
