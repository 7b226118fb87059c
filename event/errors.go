package event

// Error is an event body the daemon rejects with 400 and {"error": Reason}.
// The connection stays usable: a bad body never desynchronises the stream,
// because the HTTP layer framed it before the decoder saw it.
//
// Invariant: every Reason is printable ASCII without '"' or '\\', so the
// response writer may copy it into a JSON string without escaping.
type Error struct{ Reason string }

// Error returns "event: " + Reason.
func (e *Error) Error() string { return "event: " + e.Reason }

// Decode reports the first failure in this order: JSON syntax (ErrMalformedJSON,
// ErrTooDeep), then ErrTrailingData, then ErrNotObject, then the first member
// problem in document order, then a missing member.
var (
	// ErrMalformedJSON: the body is not RFC 8259 JSON (syntax, invalid UTF-8, bad escapes, lone surrogates).
	ErrMalformedJSON = &Error{"malformed JSON"}
	// ErrNotObject: the body is one valid JSON value but not an object.
	ErrNotObject = &Error{"body is not a JSON object"}
	// ErrTrailingData: something other than whitespace follows the top-level value.
	ErrTrailingData = &Error{"trailing data after JSON value"}
	// ErrTooDeep: an ignored member nests arrays or objects deeper than 64 levels.
	ErrTooDeep = &Error{"JSON nested too deeply"}
	// ErrMissingUserID: the object has no "userId" member.
	ErrMissingUserID = &Error{"missing userId"}
	// ErrUserIDNotString: the "userId" member is not a JSON string.
	ErrUserIDNotString = &Error{"userId is not a string"}
	// ErrEmptyUserID: the "userId" member is the empty string.
	ErrEmptyUserID = &Error{"userId is empty"}
	// ErrUserIDTooLong: the unescaped "userId" is longer than 4096 bytes.
	ErrUserIDTooLong = &Error{"userId is longer than 4096 bytes"}
	// ErrMissingValue: the object has no "value" member.
	ErrMissingValue = &Error{"missing value"}
	// ErrValueNotNumber: the "value" member is not a JSON number.
	ErrValueNotNumber = &Error{"value is not a number"}
	// ErrValueOutOfRange: "value" overflows float64, underflows a nonzero to 0, or is longer than 512 bytes.
	ErrValueOutOfRange = &Error{"value is out of range"}
	// ErrDuplicateMember: "userId" or "value" appears more than once.
	ErrDuplicateMember = &Error{"duplicate userId or value member"}

	// Batch bodies (POST /events) fail with the errors above, for the element they are
	// in, or with these.

	// ErrNotArray: a body sent as a JSON array (application/json) that is not one.
	ErrNotArray = &Error{"batch is not a JSON array"}
	// ErrTooManyEvents: a batch of more elements than its limit (413).
	ErrTooManyEvents = &Error{"too many events in batch"}
	// ErrBatchTooLarge: a compressed batch that inflates beyond its limit (413).
	ErrBatchTooLarge = &Error{"batch too large once decompressed"}
	// ErrBadGzip: a gzip body that does not inflate (corrupt, truncated, or a bad checksum).
	ErrBadGzip = &Error{"malformed gzip body"}
	// ErrUnsupportedEncoding: a content coding other than gzip (415).
	ErrUnsupportedEncoding = &Error{"unsupported content encoding"}
)

// Errors is the catalogue of the sentinels, in code order: per-error counters index an
// array of NumErrorCodes by Code and name their series by Reason.
var Errors = [...]*Error{
	ErrMalformedJSON, ErrNotObject, ErrTrailingData, ErrTooDeep,
	ErrMissingUserID, ErrUserIDNotString, ErrEmptyUserID, ErrUserIDTooLong,
	ErrMissingValue, ErrValueNotNumber, ErrValueOutOfRange, ErrDuplicateMember,
	ErrNotArray, ErrTooManyEvents, ErrBatchTooLarge, ErrBadGzip, ErrUnsupportedEncoding,
}

// NumErrorCodes is the number of distinct codes: one per sentinel and one for any other
// *Error.
const NumErrorCodes = len(Errors) + 1

// Code is e's position in Errors, or len(Errors) for an *Error that is not a sentinel.
// (A scan of twelve pointers, on the path of a rejected body only.)
func (e *Error) Code() int {
	for i, s := range Errors {
		if s == e {
			return i
		}
	}
	return len(Errors)
}
