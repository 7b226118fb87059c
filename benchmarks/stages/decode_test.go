package stages

import (
	"encoding/json"
	"testing"

	"github.com/bytedance/sonic"

	"github.com/onemrc/onemrc/event"
)

var (
	eventSink     event.Event
	eventJSONSink eventJSON
)

// BenchmarkDecode is event.Decoder.Decode of the typical body with a reused
// Decoder and Event, as each event loop keeps them.
func BenchmarkDecode(b *testing.B) {
	body := []byte(typicalBody)
	var dec event.Decoder
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := dec.Decode(body, &eventSink); err != nil {
			b.Fatal(err)
		}
		if len(eventSink.UserID) != len(typicalUserID) || !eventSink.Value.Small || eventSink.Value.Nanos != typicalNanos {
			b.Fatalf("Decode = %q %+v", eventSink.UserID, eventSink.Value)
		}
	}
	cpu.report(b, 0)
}

// BenchmarkDecodeEncodingJSON is the baseline: json.Unmarshal into a reused
// struct (the userId string is allocated per call).
func BenchmarkDecodeEncodingJSON(b *testing.B) {
	body := []byte(typicalBody)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := json.Unmarshal(body, &eventJSONSink); err != nil {
			b.Fatal(err)
		}
		if len(eventJSONSink.UserID) != len(typicalUserID) || eventJSONSink.Value != 345 {
			b.Fatalf("Unmarshal = %+v", eventJSONSink)
		}
	}
	cpu.report(b, 0)
}

// BenchmarkDecodeSonic is the baseline: sonic.Unmarshal (its default
// config, JIT on amd64) into a reused struct.
func BenchmarkDecodeSonic(b *testing.B) {
	body := []byte(typicalBody)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := sonic.Unmarshal(body, &eventJSONSink); err != nil {
			b.Fatal(err)
		}
		if len(eventJSONSink.UserID) != len(typicalUserID) || eventJSONSink.Value != 345 {
			b.Fatalf("sonic.Unmarshal = %+v", eventJSONSink)
		}
	}
	cpu.report(b, 0)
}

// TestDecodersAgree checks that the three decoders read the same event from
// the benchmark body.
func TestDecodersAgree(t *testing.T) {
	body := []byte(typicalBody)
	var (
		dec          event.Decoder
		ours         event.Event
		viaStd, viaS eventJSON
	)
	if err := dec.Decode(body, &ours); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &viaStd); err != nil {
		t.Fatal(err)
	}
	if err := sonic.Unmarshal(body, &viaS); err != nil {
		t.Fatal(err)
	}
	want := eventJSON{UserID: typicalUserID, Value: 345}
	got := eventJSON{UserID: string(ours.UserID), Value: float64(ours.Value.Nanos) / 1e9}
	if !ours.Value.Small || got != want || viaStd != want || viaS != want {
		t.Fatalf("ours %+v (small %v), encoding/json %+v, sonic %+v; want %+v", got, ours.Value.Small, viaStd, viaS, want)
	}
}
