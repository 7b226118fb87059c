package main

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/benchmarks/internal/loadgen"
)

func mustStats(t *testing.T, body string) stats {
	t.Helper()
	s, err := parseStats([]byte(body))
	require.NoError(t, err)
	return s
}

func TestParseStats(t *testing.T) {
	s := mustStats(t, ` {"totalRequests":1000000,"uniqueUsers":75000,"sum":499500000,"avg":499.5}`+"\n")
	assert.Equal(t, uint64(1_000_000), s.TotalRequests)
	assert.Equal(t, uint64(75_000), s.UniqueUsers)
	assert.Equal(t, "499500000", s.Sum.String())
	assert.Equal(t, "499.5", s.Avg.String())
	assert.Equal(t, `{"totalRequests":1000000,"uniqueUsers":75000,"sum":499500000,"avg":499.5}`, s.Raw)

	for _, bad := range []string{
		`[]`, `{"totalRequests":1,"uniqueUsers":1,"sum":1}`, `{"totalRequests":"1","uniqueUsers":1,"sum":1,"avg":1}`,
		`{"totalRequests":1.5,"uniqueUsers":1,"sum":1,"avg":1}`, `{"totalRequests":-1,"uniqueUsers":1,"sum":1,"avg":1}`,
		`{"totalRequests":1,"uniqueUsers":1,"sum":null,"avg":1}`, `not json`,
	} {
		_, err := parseStats([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestCheckStats(t *testing.T) {
	empty := `{"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}`
	challenge := loadgen.Expected(1_000_000, 75_000, false)
	half := loadgen.Expected(1_000_000, 75_000, true)
	tests := []struct {
		name          string
		before, after string
		want          loadgen.Figures
		failing       []string // names of the checks that must fail
	}{
		{"exact", empty, `{"totalRequests":1000000,"uniqueUsers":75000,"sum":499500000,"avg":499.5}`, challenge, nil},
		{"exact, exponent form", empty, `{"totalRequests":1000000,"uniqueUsers":75000,"sum":4.995e8,"avg":4.995E2}`, challenge, nil},
		{"half", empty, `{"totalRequests":1000000,"uniqueUsers":75000,"sum":500000000,"avg":500}`, half, nil},
		{"lost one", empty, `{"totalRequests":999999,"uniqueUsers":75000,"sum":499499999,"avg":499.5}`, challenge,
			[]string{"totalRequests delta", "sum delta"}},
		{"double counted user", empty, `{"totalRequests":1000000,"uniqueUsers":75001,"sum":499500000,"avg":499.5}`, challenge,
			[]string{"uniqueUsers delta"}},
		{"avg off by an ulp", empty, `{"totalRequests":1000000,"uniqueUsers":75000,"sum":499500000,"avg":499.50000000000006}`, challenge,
			[]string{"avg"}},
		{"prefilled, all users known", `{"totalRequests":1000000,"uniqueUsers":75000,"sum":499500000,"avg":499.5}`,
			`{"totalRequests":2000000,"uniqueUsers":75000,"sum":999000000,"avg":499.5}`, challenge, nil},
		{"prefilled, some new users", `{"totalRequests":10,"uniqueUsers":10,"sum":0.3,"avg":0.03}`,
			`{"totalRequests":1000010,"uniqueUsers":75005,"sum":499500000.3,"avg":499.4950053}`, challenge, nil},
		{"prefilled, too many users", `{"totalRequests":10,"uniqueUsers":10,"sum":0,"avg":0}`,
			`{"totalRequests":1000010,"uniqueUsers":75011,"sum":499500000,"avg":499.4950053}`, challenge,
			[]string{"uniqueUsers delta"}},
		{"prefilled, users vanished", `{"totalRequests":10,"uniqueUsers":10,"sum":0,"avg":0}`,
			`{"totalRequests":1000010,"uniqueUsers":9,"sum":499500000,"avg":499.4950053}`, challenge,
			[]string{"uniqueUsers delta"}},
		{"prefilled, sum short by 0.5", `{"totalRequests":10,"uniqueUsers":10,"sum":0,"avg":0}`,
			`{"totalRequests":1000010,"uniqueUsers":75010,"sum":499499999.5,"avg":499.4950053}`, challenge,
			[]string{"sum delta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks := checkStats(mustStats(t, tt.before), mustStats(t, tt.after), tt.want)
			require.Len(t, checks, 4)
			var failing []string
			for _, c := range checks {
				if !c.OK {
					failing = append(failing, c.Name)
				}
			}
			assert.Equal(t, tt.failing, failing)
		})
	}
}

func TestRatText(t *testing.T) {
	for in, want := range map[string]string{
		"499500000": "499500000", "1/2": "0.5", "-3/2": "-1.5", "1/3": "1/3", "123456789/1000000000": "0.123456789",
	} {
		r, ok := new(big.Rat).SetString(in)
		require.True(t, ok)
		assert.Equal(t, want, ratText(r), in)
	}
}
