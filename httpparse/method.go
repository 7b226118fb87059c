package httpparse

// Method identifies the request method. Method names are case-sensitive
// (RFC 9110 §9.1): "get" is a valid token but MethodOther, not MethodGet.
type Method uint8

// The standard methods of RFC 9110 §9.3 and PATCH (RFC 5789).
const (
	MethodOther Method = iota // a valid token that is none of the below
	MethodGet
	MethodHead
	MethodPost
	MethodPut
	MethodDelete
	MethodOptions
	MethodPatch
	MethodConnect
	MethodTrace
)

var methodNames = [...]string{
	MethodOther:   "OTHER",
	MethodGet:     "GET",
	MethodHead:    "HEAD",
	MethodPost:    "POST",
	MethodPut:     "PUT",
	MethodDelete:  "DELETE",
	MethodOptions: "OPTIONS",
	MethodPatch:   "PATCH",
	MethodConnect: "CONNECT",
	MethodTrace:   "TRACE",
}

// String returns the method's canonical name, "OTHER" for MethodOther and
// for values outside the enumeration.
func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return "OTHER"
}

// lookupMethod maps a method token to its Method by exact, case-sensitive
// comparison. string(b) in a comparison does not allocate.
func lookupMethod(b []byte) Method {
	switch len(b) {
	case 3:
		switch string(b) {
		case "GET":
			return MethodGet
		case "PUT":
			return MethodPut
		}
	case 4:
		switch string(b) {
		case "POST":
			return MethodPost
		case "HEAD":
			return MethodHead
		}
	case 5:
		switch string(b) {
		case "PATCH":
			return MethodPatch
		case "TRACE":
			return MethodTrace
		}
	case 6:
		if string(b) == "DELETE" {
			return MethodDelete
		}
	case 7:
		switch string(b) {
		case "OPTIONS":
			return MethodOptions
		case "CONNECT":
			return MethodConnect
		}
	}
	return MethodOther
}
