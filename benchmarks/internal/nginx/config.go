package nginx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Config is a `return 200` server listening on Listen, with its pid file, error log,
// temporary files and configuration in Dir. It logs no access, and keepalive_requests is
// raised from its default of 1000 so that nginx, like onemrcd, never closes a busy
// keep-alive connection after a number of requests.
type Config struct {
	Dir    string
	Listen string // host:port
	// Main are the top-level directives that shape the processes, without their ";":
	// "worker_processes 2".
	Main              []string
	WorkerConnections int
	// HTTP are the caller's limits in the http block, without their ";".
	HTTP []string
}

// String is the configuration file.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("daemon off;\n")
	for _, d := range c.Main {
		b.WriteString(d + ";\n")
	}
	fmt.Fprintf(&b, `pid %[1]s/nginx.pid;
error_log %[1]s/error.log error;

events {
    worker_connections %[2]d;
}

http {
    access_log off;
    keepalive_requests 1000000000;
    keepalive_timeout 75s;
`, c.Dir, c.WorkerConnections)
	for _, d := range c.HTTP {
		b.WriteString("    " + d + ";\n")
	}
	fmt.Fprintf(&b, `    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;

    server {
        listen %[2]s;
        location / {
            return 200;
        }
    }
}
`, c.Dir, c.Listen)
	return b.String()
}

// Write writes the configuration to Dir/nginx.conf and returns the arguments that run
// nginx on it, its error log in Dir from the start (before it reads error_log).
func (c Config) Write() (args []string, err error) {
	conf := filepath.Join(c.Dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(c.String()), 0o644); err != nil {
		return nil, err
	}
	return []string{"-p", c.Dir, "-c", conf, "-e", filepath.Join(c.Dir, "error.log")}, nil
}
