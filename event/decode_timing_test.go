package event

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bytedance/sonic"
)

// decodeBenchCases are the bodies every decoder is timed on. want is the
// user id each must return, so a benchmark cannot time a failure.
var decodeBenchCases = []struct {
	name, body, want string
}{
	{"typical", `{"userId":"user_12345","value":345}`, "user_12345"},
	{"python-spaced", `{"userId": "user_12345", "value": 345}`, "user_12345"},
	{"escaped", `{"userId":"user\u00e9_12345","value":345}`, "useré_12345"},
	{"exponent", `{"userId":"user_12345","value":3.45e2}`, "user_12345"},
	{"long-userid", `{"userId":"` + strings.Repeat("u", 1100) + `","value":1.5}`, strings.Repeat("u", 1100)},
}

// decodeSink keeps the decoded events alive so no work is optimised away.
var (
	decodeSink        Event
	decodeSinkStdJSON stdEvent
)

// stdEvent is the event as encoding/json and sonic decode it; json.Number
// keeps the value exact, like Value.
type stdEvent struct {
	UserID string      `json:"userId"`
	Value  json.Number `json:"value"`
}

func BenchmarkDecode(b *testing.B) {
	for _, bc := range decodeBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			var d Decoder
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := d.Decode(body, &decodeSink); err != nil || len(decodeSink.UserID) != len(bc.want) {
					b.Fatalf("Decode(%s) = %v, %q", bc.name, err, decodeSink.UserID)
				}
			}
			if string(decodeSink.UserID) != bc.want {
				b.Fatalf("userId %q, want %q", decodeSink.UserID, bc.want)
			}
		})
	}
}

func BenchmarkDecodeEncodingJSON(b *testing.B) {
	for _, bc := range decodeBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := json.Unmarshal(body, &decodeSinkStdJSON); err != nil || len(decodeSinkStdJSON.UserID) != len(bc.want) {
					b.Fatalf("json.Unmarshal(%s) = %v, %q", bc.name, err, decodeSinkStdJSON.UserID)
				}
			}
		})
	}
}

func BenchmarkDecodeSonic(b *testing.B) {
	for _, bc := range decodeBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := sonic.Unmarshal(body, &decodeSinkStdJSON); err != nil || len(decodeSinkStdJSON.UserID) != len(bc.want) {
					b.Fatalf("sonic.Unmarshal(%s) = %v, %q", bc.name, err, decodeSinkStdJSON.UserID)
				}
			}
		})
	}
}
