// Package event decodes a POST /event body, one RFC 8259 JSON object, into an
// Event: the unescaped user id and the exact value. It is a pure function over
// the body that httpparse framed; the store records what it returns.
//
// # Invariants
//
//   - Decode allocates nothing in steady state (TestDecodeAllocs): the only
//     memory it keeps is the Decoder's scratch for a user id with escapes,
//     allocated once at its final size.
//   - An Event's views (UserID, Value.Text) point into the body or the
//     Decoder's scratch: valid until the next Decode or until the body is
//     discarded. Hash or copy them before either.
//   - Value never passes through floating point. A number that is a whole
//     count of nanounits (1e-9) within ±MaxInt64 is Small and carried as
//     Nanos; any other is kept as its text, at most MaxNumberLen bytes, in
//     float64 range and with no nonzero value underflowing to zero.
//   - Member names compare exactly after unescaping (RFC 8259 §8.3: "userid"
//     is not "userId"); numbers follow RFC 8259 §6 exactly.
//   - Every rejection is one of the *Error sentinels in errors.go, reported
//     in the order documented there; a bad body never desynchronises the
//     stream, because HTTP framing happened before.
package event
