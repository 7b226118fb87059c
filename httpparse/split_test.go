package httpparse

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type splitInput struct {
	name string
	in   []byte
	lim  Limits
}

// splitInputs gathers every valid request: the real client captures and the
// valid table.
func splitInputs(t *testing.T) []splitInput {
	var ins []splitInput
	for _, name := range realRequestNames {
		ins = append(ins, splitInput{name, loadRequest(t, name), Limits{}})
	}
	for _, tc := range validCases {
		ins = append(ins, splitInput{tc.name, []byte(tc.in), tc.lim})
	}
	return ins
}

// TestEverySplitPoint parses every proper prefix of each valid request: each
// must be ErrNeedMore (never an error) with len(prefix) < Need <= len(full),
// and the full buffer must parse to the same result as in one piece.
func TestEverySplitPoint(t *testing.T) {
	for _, in := range splitInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			want := parseSnapshot(in.in, in.lim)
			require.NoError(t, want.err)
			for i := 0; i < len(in.in); i++ {
				prefix := append([]byte(nil), in.in[:i]...) // exact capacity: no peeking past i
				var r Request
				n, err := Parse(prefix, &r, in.lim)
				require.Equal(t, ErrNeedMore, err, "prefix %d of %d: %q", i, len(in.in), prefix)
				require.Zero(t, n)
				require.Greater(t, r.Need, i, "prefix %d", i)
				require.LessOrEqual(t, r.Need, len(in.in), "prefix %d", i)
			}
			assert.Equal(t, want, parseSnapshot(append([]byte(nil), in.in...), in.lim))
		})
	}
}

// TestByteAtATime grows the buffer one byte per call, reusing one Request
// the way the event loop does, then again jumping straight to Need.
func TestByteAtATime(t *testing.T) {
	for _, in := range splitInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			want := parseSnapshot(in.in, in.lim)
			var r Request
			var got result
			for k := 0; k <= len(in.in); k++ {
				buf := append([]byte(nil), in.in[:k]...)
				n, err := Parse(buf, &r, in.lim)
				if err == ErrNeedMore {
					require.Less(t, k, len(in.in))
					continue
				}
				require.NoError(t, err)
				require.Equal(t, len(in.in), k, "complete before the last byte")
				got = snapshot(n, err, &r)
			}
			assert.Equal(t, want, got)

			calls, k := 0, 0
			for {
				calls++
				require.LessOrEqual(t, k, len(in.in))
				n, err := Parse(append([]byte(nil), in.in[:k]...), &r, in.lim)
				if err != ErrNeedMore {
					require.NoError(t, err)
					assert.Equal(t, want, snapshot(n, err, &r))
					break
				}
				k = r.Need
			}
			assert.LessOrEqual(t, calls, len(in.in)+1)
		})
	}
}

// TestNeedSkipsBody checks that a caller honouring Need parses a
// Content-Length request whose body trickles in only twice once the
// header section is complete.
func TestNeedSkipsBody(t *testing.T) {
	in := loadRequest(t, "curl-long-userid")
	var r Request
	k, calls := 0, 0
	for {
		calls++
		_, err := Parse(in[:k], &r, Limits{})
		if err != ErrNeedMore {
			require.NoError(t, err)
			break
		}
		if r.HeaderDone {
			require.Equal(t, len(in), r.Need)
		}
		k = r.Need
	}
	assert.Equal(t, 138+2, calls, "one call per header byte, one to learn the length, one to finish")
}

// TestPipelined parses 50 concatenated requests one after another.
func TestPipelined(t *testing.T) {
	ins := splitInputs(t)
	var all []byte
	var parts []splitInput
	for i := 0; i < 50; i++ {
		in := ins[i%len(ins)]
		if in.lim != (Limits{}) {
			in = ins[i%len(realRequestNames)]
		}
		parts = append(parts, in)
		all = append(all, in.in...)
	}
	var r Request
	buf := all
	for i, p := range parts {
		n, err := Parse(buf, &r, Limits{})
		require.NoError(t, err, "request %d (%s)", i, p.name)
		require.Equal(t, len(p.in), n, "request %d (%s)", i, p.name)
		want := parseSnapshot(p.in, Limits{})
		assert.Equal(t, want, snapshot(n, err, &r), "request %d (%s)", i, p.name)
		buf = buf[n:]
	}
	require.Empty(t, buf)
	n, err := Parse(all[:len(all)-1][len(all)-len(parts[49].in):], &r, Limits{})
	assert.Equal(t, ErrNeedMore, err)
	assert.Zero(t, n)
}
