package loop

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// gnet v2 has no call to stop reading a connection, but its level-triggered poller gives
// the means (checked against gnet v2.9.7: eventloop_unix.go, pkg/netpoll/
// poller_epoll_default.go):
//   - a connection is registered for EPOLLIN; while its output queue is non-empty for
//     EPOLLIN|EPOLLOUT; the moment a write drains the queue, gnet registers it for EPOLLIN
//     alone again (Poller.ModRead);
//   - the epoll event's data is the descriptor itself (the default poller, not the
//     poll_opt build tag).
// So re-registering a connection that has a queue for EPOLLOUT alone stops gnet reading
// it; gnet keeps writing it and resumes reading it once drained. The loop's epoll
// descriptor is read once per loop, by reflection (which reads unexported fields
// without unsafe), from the path conn.loop.poller.fd, and checked against the kernel's
// own account (/proc/self/fdinfo) before it is used. The engine must run
// level-triggered (no gnet.WithEdgeTriggeredIO). pause_test.go runs this against a real
// gnet engine, so a gnet upgrade that moves these fields fails the tests.

// epollReads pauses reading on one event loop's epoll instance.
type epollReads struct{ epfd int }

// newReadPauser finds the epoll instance gnet registered c with.
func newReadPauser(c gnet.Conn) (readPauser, error) {
	epfd, err := loopEpollFD(c)
	if err != nil {
		return nil, err
	}
	if err := checkRegistered(epfd, c.Fd()); err != nil {
		return nil, err
	}
	return epollReads{epfd}, nil
}

func (r epollReads) pause(c gnet.Conn) error {
	fd := c.Fd()
	return unix.EpollCtl(r.epfd, unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(fd)})
}

// loopEpollFD reads conn.loop.poller.fd of gnet's connection type.
func loopEpollFD(c gnet.Conn) (fd int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("loop: gnet's connection layout is not the one this build knows (%v)", r)
		}
	}()
	v := reflect.ValueOf(c)
	for _, field := range []string{"loop", "poller", "fd"} {
		if v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return 0, fmt.Errorf("loop: gnet connection: %q is not in a struct", field)
		}
		if v = v.FieldByName(field); !v.IsValid() {
			return 0, fmt.Errorf("loop: gnet connection: no field %q", field)
		}
	}
	if v.Kind() != reflect.Int {
		return 0, errors.New("loop: gnet connection: loop.poller.fd is not an int")
	}
	return int(v.Int()), nil
}

// checkRegistered confirms that epfd is an epoll instance watching fd.
func checkRegistered(epfd, fd int) error {
	f, err := os.Open("/proc/self/fdinfo/" + strconv.Itoa(epfd))
	if err != nil {
		return fmt.Errorf("loop: reading the event loop's epoll instance: %w", err)
	}
	defer f.Close()
	want := "tfd: " + strconv.Itoa(fd) + " "
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimLeft(sc.Text(), " \t"); strings.HasPrefix(line, "tfd:") {
			if strings.HasPrefix(strings.Join(strings.Fields(line), " ")+" ", want) {
				return nil
			}
		}
	}
	return fmt.Errorf("loop: descriptor %d is not an epoll instance watching connection %d", epfd, fd)
}
