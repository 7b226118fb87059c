package redistest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cluster serves every slot, and spreads keys with different hash tags over its
// masters.
func TestClusterSpreadsKeys(t *testing.T) {
	c := StartCluster(t, 3)
	require.Len(t, c.Addrs(), 3)
	assert.Equal(t, "redis://"+c.Addrs()[0]+","+c.Addrs()[1]+","+c.Addrs()[2], c.URL())

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer rdb.Close()
	const keys = 100
	for i := range keys {
		key := "{tag" + strconv.Itoa(i) + "}key"
		require.NoError(t, rdb.Set(ctx, key, i, 0).Err(), key)
	}
	for i := range keys {
		key := "{tag" + strconv.Itoa(i) + "}key"
		got, err := rdb.Get(ctx, key).Int()
		require.NoError(t, err, key)
		assert.Equal(t, i, got, key)
	}

	total, holders := 0, 0
	for i := range c.Addrs() {
		n, err := strconv.Atoi(c.Node(i).Do("DBSIZE"))
		require.NoError(t, err)
		total += n
		if n > 0 {
			holders++
		}
	}
	assert.Equal(t, keys, total)
	assert.GreaterOrEqual(t, holders, 2, "the keys are on %d master(s)", holders)
}
