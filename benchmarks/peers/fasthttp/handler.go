package main

import (
	"encoding/json"

	"github.com/valyala/fasthttp"
)

// event is the POST /event body. encoding/json copies UserID out of the
// request body, so it may be kept after the handler returns.
type event struct {
	UserID string  `json:"userId"`
	Value  float64 `json:"value"`
}

// handler returns the request handler: a switch on the path (the compiler
// compares string(bytes) without allocating) then on the method.
func handler(t *tally) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/event":
			if !ctx.IsPost() {
				ctx.Error("method not allowed", fasthttp.StatusMethodNotAllowed)
				return
			}
			var e event
			if err := json.Unmarshal(ctx.PostBody(), &e); err != nil || e.UserID == "" {
				ctx.Error("bad event", fasthttp.StatusBadRequest)
				return
			}
			t.record(e.UserID, e.Value)
			ctx.SetStatusCode(fasthttp.StatusOK)
		case "/stats":
			if !ctx.IsGet() {
				ctx.Error("method not allowed", fasthttp.StatusMethodNotAllowed)
				return
			}
			body, err := json.Marshal(t.Snapshot())
			if err != nil {
				ctx.Error(err.Error(), fasthttp.StatusInternalServerError)
				return
			}
			ctx.SetContentType("application/json")
			ctx.SetBody(body)
		case "/health":
			ctx.SetStatusCode(fasthttp.StatusOK)
		default:
			ctx.Error("not found", fasthttp.StatusNotFound)
		}
	}
}
