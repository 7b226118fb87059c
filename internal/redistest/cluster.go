package redistest

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clusterWait bounds how long a new cluster may take to agree on its slots.
const clusterWait = 30 * time.Second

// Cluster is a Redis Cluster of masters only, each a Server in its own directory.
type Cluster struct {
	nodes []*Server
}

// StartCluster starts masters redis-server processes in cluster mode (node timeout 2 s,
// so that a test of a failure does not wait long), joins them with redis-cli --cluster
// create (no replicas), and returns once every node reports cluster_state:ok, all 16384
// slots assigned and every other node known. redis-cli refuses fewer than 3 masters.
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("redistest: a Redis Cluster needs 3 masters or more, not %d", masters)
	}
	cli := lookPath(t, "redis-cli")
	c := &Cluster{}
	for range masters {
		// Each port is taken by a running server before the next is chosen.
		port := freePort(t)
		c.nodes = append(c.nodes, start(t, port, nil, []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes-" + strconv.Itoa(port) + ".conf",
			"--cluster-node-timeout", "2000",
		}, nil))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitReady(t)
	return c
}

// waitReady waits until every node sees the whole cluster, and it serves every slot.
func (c *Cluster) waitReady(t testing.TB) {
	t.Helper()
	want := map[string]string{
		"cluster_state":          "ok",
		"cluster_slots_assigned": "16384",
		"cluster_known_nodes":    strconv.Itoa(len(c.nodes)),
	}
	deadline := time.Now().Add(clusterWait)
	for {
		var last string
		ready := true
		for _, n := range c.nodes {
			last = n.Do("CLUSTER", "INFO")
			if !hasFields(last, want) {
				ready = false
				break
			}
		}
		if ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: the cluster is not ready after %v; a node's CLUSTER INFO:\n%s", clusterWait, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hasFields reports whether an INFO-style reply (field:value lines) has every field of
// want with its value.
func hasFields(info string, want map[string]string) bool {
	found := 0
	for _, line := range strings.Split(info, "\n") {
		field, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if w, listed := want[field]; ok && listed {
			if value != w {
				return false
			}
			found++
		}
	}
	return found == len(want)
}

// Addrs are the nodes' host:port, in Node order.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// URL is the cluster as a -cluster URL: every node, as a seed list.
func (c *Cluster) URL() string { return "redis://" + strings.Join(c.Addrs(), ",") }

// Node is the i-th node. Its Restart keeps the cluster arguments: args replace only the
// extra ones.
func (c *Cluster) Node(i int) *Server { return c.nodes[i] }
