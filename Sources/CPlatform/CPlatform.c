#define _GNU_SOURCE  // accept4

#include "CPlatform.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif

int cplatform_has_epoll(void) {
#if defined(__linux__)
    return 1;
#else
    return 0;
#endif
}

#if defined(__linux__)
_Static_assert(EPOLLIN == CPLATFORM_READABLE && EPOLLOUT == CPLATFORM_WRITABLE
               && EPOLLERR == CPLATFORM_ERROR && EPOLLHUP == CPLATFORM_HANG_UP,
               "the event bits are epoll's");

int cplatform_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static int control(int epoll_fd, int operation, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event = {.events = events, .data = {.u64 = token}};
    return epoll_ctl(epoll_fd, operation, fd, &event);
}

int cplatform_epoll_add(int epoll_fd, int fd, uint32_t events, uint64_t token, int exclusive) {
    return control(epoll_fd, EPOLL_CTL_ADD, fd, events | (exclusive ? EPOLLEXCLUSIVE : 0), token);
}

int cplatform_epoll_modify(int epoll_fd, int fd, uint32_t events, uint64_t token) {
    return control(epoll_fd, EPOLL_CTL_MOD, fd, events, token);
}

int cplatform_epoll_delete(int epoll_fd, int fd) {
    struct epoll_event unused = {0};  // Kernels before 2.6.9 required a non-null pointer.
    return epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, &unused);
}

int cplatform_epoll_wait(int epoll_fd, cplatform_event *events, int capacity, int timeout_ms) {
    struct epoll_event ready[1024];
    if (capacity > 1024) capacity = 1024;
    int count = epoll_wait(epoll_fd, ready, capacity, timeout_ms);
    for (int index = 0; index < count; index++) {
        events[index].events = ready[index].events;
        events[index].token = ready[index].data.u64;
    }
    return count;
}

int cplatform_wake_descriptor(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
#else
int cplatform_epoll_create(void) { errno = ENOSYS; return -1; }
int cplatform_epoll_add(int epoll_fd, int fd, uint32_t events, uint64_t token, int exclusive) { errno = ENOSYS; return -1; }
int cplatform_epoll_modify(int epoll_fd, int fd, uint32_t events, uint64_t token) { errno = ENOSYS; return -1; }
int cplatform_epoll_delete(int epoll_fd, int fd) { errno = ENOSYS; return -1; }
int cplatform_epoll_wait(int epoll_fd, cplatform_event *events, int capacity, int timeout_ms) { errno = ENOSYS; return -1; }
int cplatform_wake_descriptor(void) { errno = ENOSYS; return -1; }
#endif

__attribute__((unused)) static int set_nonblocking_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int cplatform_stream_socket(int family) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd >= 0 && set_nonblocking_cloexec(fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
#endif
}

int cplatform_accept(int listen_fd, struct sockaddr_storage *address, socklen_t *length) {
#if defined(__linux__)
    return accept4(listen_fd, (struct sockaddr *)address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    int fd = accept(listen_fd, (struct sockaddr *)address, length);
    if (fd >= 0 && set_nonblocking_cloexec(fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
#endif
}

/// The pipe the handler writes to; atomic so a handler running on another thread while
/// the first relay is installed reads either -1 or the descriptor, never a torn value.
static atomic_int relay_pipe_fd = -1;

static void relay_handler(int signal_number) {
    int saved = errno;
    int fd = atomic_load_explicit(&relay_pipe_fd, memory_order_relaxed);
    if (fd >= 0) {
        unsigned char byte = (unsigned char)signal_number;
        ssize_t ignored = write(fd, &byte, 1);
        (void)ignored;
    }
    errno = saved;
}

int cplatform_relay_signal(int signal_number, int pipe_fd) {
    atomic_store(&relay_pipe_fd, pipe_fd);
    struct sigaction action = {0};
    action.sa_handler = relay_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(signal_number, &action, NULL) != 0) return -1;
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, signal_number);
    int result = pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
    if (result != 0) {
        errno = result;
        return -1;
    }
    return 0;
}

int cplatform_file_limit(uint64_t *current, uint64_t *maximum) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    *current = limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)limit.rlim_cur;
    *maximum = limit.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t)limit.rlim_max;
    return 0;
}

int cplatform_set_file_limit(uint64_t current) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    limit.rlim_cur = current == UINT64_MAX ? RLIM_INFINITY : (rlim_t)current;
    return setrlimit(RLIMIT_NOFILE, &limit);
}
