// Package httpparse is onemrc's strict HTTP/1.1 request parser (RFC 9112).
//
// Parse is a pure function over a byte slice: it performs no I/O, keeps no
// global state, starts no goroutines and allocates nothing in steady state.
// The event loop calls it repeatedly over everything a connection has
// buffered and discards the consumed bytes once:
//
//	for {
//		n, err := httpparse.Parse(buf, &req, lim)
//		if err == httpparse.ErrNeedMore { break }     // keep buf[0:], wait for req.Need bytes
//		if err != nil { reply(err.(*httpparse.Error)); close(); break }
//		handle(&req)                                   // views into buf are valid here
//		buf = buf[n:]
//	}
//
// Contract:
//   - Parse examines one request at the start of buf and returns the number of
//     bytes it occupies (request line, header section, body, trailers), or
//     ErrNeedMore when buf is a prefix of a request that could still be valid,
//     or an *Error when no continuation of buf can be a valid request (or a
//     limit is exceeded). A valid request never yields an error for any of
//     its prefixes.
//   - Every []byte in Request is a view into buf (or, for a body sent in more
//     than one chunk, into the Request's reusable scratch). Views stay valid
//     until the caller discards or overwrites buf or calls Parse again with
//     the same Request; copy (or hash) what must outlive that.
//   - Parse is stateless between calls: after ErrNeedMore the caller calls it
//     again from the start of the request once more bytes arrived;
//     Request.Need tells how many bytes are worth waiting for.
//   - ParseFrom gives exactly Parse's results for the same buf, for a
//     caller that keeps a State per connection (see Resuming below).
//   - Every *Error is a framing error: the caller answers Error.Status with
//     Error.Reason and closes the connection, since the request boundary is
//     no longer trustworthy.
//
// Resuming: ParseFrom resumes at the first incomplete element (request line,
// field line, chunk, trailer line) that its State recorded instead of at byte
// 0, and State.Blocked tells from the bytes that arrived since whether calling
// again can progress at all (a line cannot end without its '\n'). A request
// trickled a byte at a time then costs work linear in its size, not
// quadratic:
//
//	for {
//		if st.Blocked(buf, seen) { seen = len(buf); wait(); continue }
//		n, err := httpparse.ParseFrom(buf, &req, lim, &st)
//		if err == httpparse.ErrNeedMore { seen = len(buf); wait(); continue }
//		...                                            // as with Parse; st is reset
//		buf, seen = buf[n:], 0
//	}
//
// Waiting for a line end means that a byte no line may hold is reported once
// its line ends or crosses its limit rather than on arrival, with the error
// Parse gives for the bytes buffered by then. Limits are enforced at the same
// length as with Parse.
//
// The parser is deliberately stricter than RFC 9112 requires of a lenient
// recipient: bare LF and bare CR are rejected everywhere (§2.2), obs-fold is
// rejected (§5.2), any duplicate Content-Length or Host is rejected, and a
// request carrying both Content-Length and Transfer-Encoding is rejected
// (§6.1), which closes the usual request-smuggling vectors.
package httpparse
