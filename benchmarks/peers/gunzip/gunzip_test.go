package gunzip

import (
	"bytes"
	stdgzip "compress/gzip"
	"fmt"
	"io"
	"testing"

	kpgzip "github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"
)

// batch is 1,000 events of the challenge's form as NDJSON, gzipped at the default level.
func batch(t testing.TB) (plain, zipped []byte) {
	var b bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&b, "{\"userId\":\"user_%d\",\"value\":%d}\n", (i*75)%75_000, i%1000)
	}
	var z bytes.Buffer
	zw := stdgzip.NewWriter(&z)
	_, err := zw.Write(b.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.Bytes(), z.Bytes()
}

// resetReader is what both gzip readers offer: Reset onto a new source, then Read.
type resetReader interface {
	io.Reader
	Reset(io.Reader) error
}

// BenchmarkGunzip inflates the batch with a reused reader into a reused buffer, as the
// daemon's event.Inflater does; ns/event is per event of the batch.
func BenchmarkGunzip(b *testing.B) {
	plain, zipped := batch(b)
	readers := map[string]func(io.Reader) (resetReader, error){
		"stdlib":    func(r io.Reader) (resetReader, error) { return stdgzip.NewReader(r) },
		"klauspost": func(r io.Reader) (resetReader, error) { return kpgzip.NewReader(r) },
	}
	for _, name := range []string{"stdlib", "klauspost"} {
		b.Run(name, func(b *testing.B) {
			src := bytes.NewReader(zipped)
			zr, err := readers[name](src)
			require.NoError(b, err)
			out := make([]byte, len(plain)+1)
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				src.Reset(zipped)
				if err := zr.Reset(src); err != nil {
					b.Fatal(err)
				}
				n, err := io.ReadFull(zr, out)
				if err != io.ErrUnexpectedEOF || n != len(plain) {
					b.Fatalf("inflated %d bytes: %v", n, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/event")
		})
	}
}

func TestBothInflateTheSameBytes(t *testing.T) {
	plain, zipped := batch(t)
	for _, r := range []func() (io.Reader, error){
		func() (io.Reader, error) { return stdgzip.NewReader(bytes.NewReader(zipped)) },
		func() (io.Reader, error) { return kpgzip.NewReader(bytes.NewReader(zipped)) },
	} {
		zr, err := r()
		require.NoError(t, err)
		got, err := io.ReadAll(zr)
		require.NoError(t, err)
		require.Equal(t, plain, got)
	}
}
