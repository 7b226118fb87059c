package event

// Limits on one event body. They are counted before anything grows, so a
// hostile body costs one linear scan and never more scratch than the limits.
const (
	// maxUserIDLen is the longest unescaped userId accepted, in bytes.
	maxUserIDLen = 4096
	// MaxNumberLen is the longest "value" number text accepted, in bytes.
	// It bounds the exact range check and the cold-path big arithmetic.
	MaxNumberLen = 512
	// maxDepth is the deepest nesting of arrays and objects inside an
	// ignored member (or a non-object body); RFC 8259 §9 lets a parser
	// set this limit. 64 fits the skipper's one-word container stack.
	maxDepth = 64
)

// Value is a JSON number held exactly.
//
// The common case, a number that is a whole count of nanounits, is carried as
// an int64 so the store can sum it with integer adds; everything else keeps
// its text for exact (big) arithmetic on the cold path. Floating point is
// never involved: float64 sums depend on order, and onemrc's totals must not.
type Value struct {
	// Nanos is the value in units of 1e-9, valid when Small is true: every number whose
	// exact value is an integer multiple of 1e-9 with |value*1e9| <= math.MaxInt64,
	// whatever its spelling ("345", "345.0", "0.5", "1.5e2", "15E1", "1500e-1", "-0.000000001").
	Nanos int64
	Small bool
	// Text is the number's JSON text when Small is false (a view into the body: valid until
	// the body is discarded). Such a number is exact but needs the slow path (big arithmetic).
	// Its grammar is RFC 8259 §6 and it is in float64 range (see ErrValueOutOfRange).
	Text []byte
}

// Event is one decoded POST /event body. UserID is the *unescaped* user id: a view into the
// body when it had no escapes, else into the Decoder's scratch; valid until the next Decode or
// until the body is discarded. Hash or copy it before either happens.
//
// UserID is never empty, is valid UTF-8 and is at most 4096 bytes long.
type Event struct {
	UserID []byte
	Value  Value
}
