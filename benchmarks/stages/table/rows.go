package main

// term names one figure: the median of unit over a benchmark's samples.
type term struct {
	bench string // without the "Benchmark" prefix and -N suffix
	unit  string // "ns/op" or "ns/req"
}

func op(bench string) term  { return term{bench, "ns/op"} }
func req(bench string) term { return term{bench, "ns/req"} }

// row is one line of the table. A figure made of several terms is their sum
// (a derived stage such as dispatch = decode + record).
type row struct {
	stage    string
	ours     []term // empty: a further baseline of the stage above
	baseline string
	base     []term
	// projected is the projection's figure in ns for this stage; 0 means
	// the projection has no separate figure for it (see projNote).
	projected float64
	projNote  string
	// target is the ns bound ours must meet; 0 means the only target is
	// zero allocations.
	target float64
}

// The projection this project started from, in ns per request. Its total
// is quoted as 1.4 µs; its parts sum to 1,426.
const (
	projParse     = 10
	projRoute     = 16
	projDispatch  = 1000 // decode + record
	projSerialize = 300
	projSend      = 100
	projTotal     = 1400
	// projInMemory is every part but send: the span BenchmarkWholePath
	// covers (1,326).
	projInMemory = projParse + projRoute + projDispatch + projSerialize
)

// The targets, in ns per operation (or per request); every stage must
// also allocate nothing.
const (
	targetParse     = 60
	targetRoute     = 5
	targetDecode    = 40
	targetRecord    = 30
	targetDispatch  = targetDecode + targetRecord // derived, not given
	targetSerialize = 150
	targetWholePath = 250
	// targetBatchEvent is issue 14's bound on the daemon's whole CPU per batched event
	// (system calls included); the in-memory path must fit well inside it.
	targetBatchEvent = 150
)

// rows is the table, in the order a request meets the stages.
var rows = []row{
	{stage: "parse curl", ours: []term{op("Parse/curl")}, baseline: "net/http ReadRequest + body", base: []term{op("ParseNetHTTP/curl")}, projected: projParse, target: targetParse},
	{stage: "parse goclient", ours: []term{op("Parse/goclient")}, baseline: "net/http ReadRequest + body", base: []term{op("ParseNetHTTP/goclient")}, projected: projParse, target: targetParse},
	{stage: "parse wrk", ours: []term{op("Parse/wrk")}, baseline: "net/http ReadRequest + body", base: []term{op("ParseNetHTTP/wrk")}, projected: projParse, target: targetParse},

	{stage: "route POST /event", ours: []term{op("Route")}, baseline: `map[method+" "+path]`, base: []term{op("RouteMap")}, projected: projRoute, target: targetRoute},
	{stage: "route POST /event", baseline: "http.ServeMux.Handler", base: []term{op("RouteServeMux")}},

	{stage: "decode body", ours: []term{op("Decode")}, baseline: "encoding/json Unmarshal", base: []term{op("DecodeEncodingJSON")}, projNote: "in dispatch", target: targetDecode},
	{stage: "decode body", baseline: "sonic.Unmarshal", base: []term{op("DecodeSonic")}},
	{stage: "record known user", ours: []term{op("Record/known")}, baseline: "sync.Map + atomics", base: []term{op("RecordSyncMap/known")}, projNote: "in dispatch", target: targetRecord},
	{stage: "record new user", ours: []term{op("Record/new")}, baseline: "sync.Map + atomics", base: []term{op("RecordSyncMap/new")}, projNote: "in dispatch"},
	{stage: "dispatch = decode + record known", ours: []term{op("Decode"), op("Record/known")}, baseline: "encoding/json + sync.Map", base: []term{op("DecodeEncodingJSON"), op("RecordSyncMap/known")}, projected: projDispatch, target: targetDispatch},

	{stage: "serialize /stats", ours: []term{op("SerializeStats")}, baseline: "encoding/json Marshal", base: []term{op("SerializeStatsEncodingJSON")}, projected: projSerialize, target: targetSerialize},
	{stage: "serialize /stats", baseline: "sonic.Marshal", base: []term{op("SerializeStatsSonic")}},

	{stage: "respond (append canned 200)", ours: []term{op("Respond")}, baseline: "format per request", base: []term{op("RespondFormatted")}, projNote: "none"},
	{stage: "send one 200 (write(2))", ours: []term{req("Send/one")}, baseline: "net.Conn.Write", base: []term{req("SendNetConn/one")}, projected: projSend},
	{stage: "send 16 in one write, per response", ours: []term{req("Send/batch16")}, baseline: "net.Conn.Write", base: []term{req("SendNetConn/batch16")}, projected: projSend},

	{stage: "whole path in memory, curl", ours: []term{req("WholePath/curl")}, baseline: "net/http in memory", base: []term{req("WholePathNetHTTP/curl")}, projected: projInMemory, target: targetWholePath},
	{stage: "whole path in memory, 16 pipelined, per request", ours: []term{req("WholePath/pipelined16")}, baseline: "net/http in memory", base: []term{req("WholePathNetHTTP/pipelined16")}, projected: projInMemory, target: targetWholePath},

	{stage: "batch of 1,000 (NDJSON), whole path in memory, per event", ours: []term{req("BatchPath")}, baseline: "net/http + json.Decoder stream", base: []term{req("BatchPathNetHTTP")}, projNote: "none", target: targetBatchEvent},

	{stage: "total = whole path curl + send one", ours: []term{req("WholePath/curl"), req("Send/one")}, baseline: "net/http in memory + net.Conn.Write", base: []term{req("WholePathNetHTTP/curl"), req("SendNetConn/one")}, projected: projTotal},
	{stage: "total, 16 pipelined, per request", ours: []term{req("WholePath/pipelined16"), req("Send/batch16")}, baseline: "net/http in memory + net.Conn.Write", base: []term{req("WholePathNetHTTP/pipelined16"), req("SendNetConn/batch16")}, projected: projTotal},
}
