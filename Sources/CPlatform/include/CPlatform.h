#ifndef CPLATFORM_H
#define CPLATFORM_H

/// What Swift cannot reach cleanly through the C library's module: epoll and eventfd (not in
/// the Glibc module map), accept4, a signal handler that runs in signal context, and the
/// open-file limit (whose resource type differs between glibc and musl). Every function
/// follows the POSIX convention: -1 and `errno` on failure.

#include <stdint.h>
#include <sys/socket.h>

/// One readiness event with its registration token, laid out the same on every
/// architecture (`struct epoll_event` is packed on x86_64 only), so Swift reads plain fields.
typedef struct {
    uint32_t events;
    uint64_t token;
} cplatform_event;

/// Readiness bits in `cplatform_event.events` and in registrations. The values are
/// epoll's, which poll(2)'s backend maps to and from.
enum {
    CPLATFORM_READABLE = 0x001,
    CPLATFORM_WRITABLE = 0x004,
    CPLATFORM_ERROR = 0x008,
    CPLATFORM_HANG_UP = 0x010,
};

/// 1 when this build has epoll (Linux), else 0 and the epoll calls fail with ENOSYS.
int cplatform_has_epoll(void);
/// A close-on-exec epoll instance.
int cplatform_epoll_create(void);
/// Registers `fd` for `events` with `token` as its event data; `exclusive` adds
/// EPOLLEXCLUSIVE (wake one of the instances sharing `fd`, Linux 4.5).
int cplatform_epoll_add(int epoll_fd, int fd, uint32_t events, uint64_t token, int exclusive);
int cplatform_epoll_modify(int epoll_fd, int fd, uint32_t events, uint64_t token);
int cplatform_epoll_delete(int epoll_fd, int fd);
/// Waits up to `timeout_ms` (-1: forever) for at most `capacity` (<= 1024) events.
int cplatform_epoll_wait(int epoll_fd, cplatform_event *events, int capacity, int timeout_ms);

/// A non-blocking, close-on-exec counter descriptor that wakes a poller from another
/// thread: eventfd on Linux, else -1 and ENOSYS.
int cplatform_wake_descriptor(void);

/// A non-blocking, close-on-exec stream socket of `family`.
int cplatform_stream_socket(int family);
/// Accepts a connection that is already non-blocking and close-on-exec (accept4 where
/// available: one call instead of three).
int cplatform_accept(int listen_fd, struct sockaddr_storage *address, socklen_t *length);

/// Installs a handler for `signal_number` that writes the signal number as one byte to
/// `pipe_fd` (async-signal-safe: one write, errno preserved), with SA_RESTART, and unblocks
/// the signal in the calling thread.
int cplatform_relay_signal(int signal_number, int pipe_fd);

/// The open-file limit (RLIMIT_NOFILE): current and maximum, UINT64_MAX when unlimited.
int cplatform_file_limit(uint64_t *current, uint64_t *maximum);
/// Sets the soft open-file limit to `current`.
int cplatform_set_file_limit(uint64_t current);

#endif
