package httpparse

// fieldKind names the framing-relevant field a field line carries, the only
// fields the parser looks at (apply); kindNone is every other field.
type fieldKind uint8

const (
	kindNone fieldKind = iota
	kindHost
	kindExpect
	kindConnection
	kindContentType
	kindContentLength
	kindContentEncoding
	kindTransferEncoding
	// kindUnclassified: a name scanFieldLinesWords did not classify; it may
	// be a framing field (mayBeFramingField), framingKind decides.
	kindUnclassified
)

// framingKind classifies a valid field name (a token) case-insensitively
// (RFC 9110 §5.1).
func framingKind(name []byte) fieldKind {
	if !mayBeFramingField(name[0], len(name)) {
		return kindNone
	}
	switch len(name) {
	case 4:
		if foldedNameKey(name) == keyHost {
			return kindHost
		}
	case 6:
		if foldedNameKey(name) == keyExpect {
			return kindExpect
		}
	case 10:
		if foldedNameKey(name) == keyConnection {
			return kindConnection
		}
	case 12:
		if foldedNameKey(name) == keyContentType {
			return kindContentType
		}
	case 14:
		if foldedNameKey(name) == keyContentLength {
			return kindContentLength
		}
	case 16:
		if foldedNameKey(name) == keyContentEncoding {
			return kindContentEncoding
		}
	case 17:
		if equalFoldLower(name, "transfer-encoding") {
			return kindTransferEncoding
		}
	}
	return kindNone
}

// knownFieldNames are the field names real clients send most, each with its
// kind. scanFieldLinesWords recognises them, with their colon, by one or two
// word compares, which validates the name and classifies it at once; any
// other name is scanned and classified the general way. A name must be
// 4 to 15 bytes long: its first four bytes select its slot, and the name
// with its colon must fit in two words.
var knownFieldNames = [...]string{
	"host", "user-agent", "accept", "accept-encoding", "accept-language",
	"content-type", "content-length", "connection",
	"expect", "cache-control", "authorization", "cookie", "origin", "referer",
	"pragma", "upgrade", "keep-alive", "x-forwarded-for", "x-request-id",
	"sec-fetch-mode", "sec-fetch-site", "sec-fetch-dest",
}

// knownName is one slot of knownNames: the name and its colon as the word
// at the start of the line and the word that ends at the colon (the two
// overlap, or the second is unused when the name and colon fit in one word),
// lower case. A line matches when each word, with bit 0x20 set on the
// letter positions only (fold), equals want, compared on mask's bytes:
// setting 0x20 maps exactly 'A'-'Z' and 'a'-'z' onto 'a'-'z', and the other
// bytes ("-", ":") compare unchanged, so a match is exactly a case-insensitive
// equality of the name and an exact colon after it.
type knownName struct {
	want, fold [2]uint64
	mask       uint64 // bytes of the first word compared: the name and colon
	n          int    // name length; 0 marks an empty slot
	kind       fieldKind
	_          [15]byte // 64 bytes a slot: its index scales by a shift
}

// knownNames is an open-addressing table of knownFieldNames keyed by
// nameSlot of their first four bytes (folded), probed linearly. It is built
// once at package initialisation and never written afterwards.
var knownNames = func() (t [knownNamesSlots]knownName) {
	for _, name := range knownFieldNames {
		n := len(name)
		if n < 4 || n+1 > 16 {
			panic("BUG: httpparse: known field name " + name + " outside 4 to 15 bytes")
		}
		line := []byte(name + ":" + "\x00\x00\x00\x00\x00\x00\x00\x00")
		var fold [16]byte
		for i := 0; i < n; i++ {
			if name[i] >= 'a' && name[i] <= 'z' {
				fold[i] = 0x20
			}
		}
		k := knownName{n: n, kind: framingKind([]byte(name)), mask: ^uint64(0)}
		k.want[0], k.fold[0] = stringWord(string(line), 0), stringWord(string(fold[:]), 0)
		if n+1 < 8 {
			k.mask = 1<<(8*(n+1)) - 1
			k.want[0] &= k.mask
		} else {
			k.want[1], k.fold[1] = stringWord(string(line), n+1-8), stringWord(string(fold[:]), n+1-8)
		}
		h := nameSlot(k.want[0])
		for t[h].n != 0 {
			h = (h + 1) & (len(t) - 1)
		}
		t[h] = k
	}
	return t
}()

// knownNamesSlots is the size of knownNames, a power of two so that probes
// wrap by a mask, and 1<<(32-26) for nameSlot's shift.
const knownNamesSlots = 64

// nameSlot is the first probe of knownNames for a line whose first word is
// w: a multiplicative hash of its first four bytes with bit 0x20 set.
func nameSlot(w uint64) int {
	return int((uint32(w)|0x20202020)*0x9e3779b1>>26) & (knownNamesSlots - 1)
}

// matchKnownName returns the length and kind of the known name, followed by
// its colon, that the line at b[i:] begins with, or n == 0; w is the word at
// b[i:].
func matchKnownName(b []byte, i int, w uint64) (n int, kind fieldKind) {
	for h := nameSlot(w); ; h = (h + 1) & (len(knownNames) - 1) {
		k := &knownNames[h&(len(knownNames)-1)] // the mask, a no-op, drops the bounds check
		if k.n == 0 {
			return 0, kindNone
		}
		if (w|k.fold[0])&k.mask == k.want[0] &&
			(k.n+1 <= 8 || i+k.n+1 <= len(b) && load64(b, i+k.n+1-8)|k.fold[1] == k.want[1]) {
			return k.n, k.kind
		}
	}
}
