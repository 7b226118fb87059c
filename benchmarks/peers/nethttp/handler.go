package main

import (
	"encoding/json"
	"net/http"
)

// event is the POST /event body.
type event struct {
	UserID string  `json:"userId"`
	Value  float64 `json:"value"`
}

// newHandler routes the three endpoints with Go's method-aware ServeMux.
func newHandler(t *tally) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /event", func(w http.ResponseWriter, r *http.Request) {
		var e event
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil || e.UserID == "" {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		t.record(e.UserID, e.Value)
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(t.Snapshot())
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	return mux
}
