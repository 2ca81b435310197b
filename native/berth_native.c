/*
 * berth's native helper: the few system calls Node lacks.
 *
 *   seqpacketOpen(path, onData) -> handle   connect a SOCK_SEQPACKET unix socket (conmon's attach socket), even
 *                                           when `path` is longer than sun_path allows (via /proc/self/fd);
 *                                           onData(buffer) per packet, onData(null, error?) once at the end.
 *   seqpacketWrite(handle, buffer) -> n     one packet; n < 0 is -errno (-EAGAIN: try again later)
 *   seqpacketShutdown(handle)               shutdown(SHUT_WR): end of stdin for the peer
 *   seqpacketPause(handle) / seqpacketResume(handle)   stop / restart reading (backpressure)
 *   seqpacketClose(handle)                  stop reading and close the socket
 *
 *   mount(source, target, fstype, flags, data) -> Promise<void>    mount(2), on the libuv thread pool
 *   umount2(target, flags) -> Promise<void>                        umount2(2), on the libuv thread pool
 *                                           (rejections carry .code, e.g. 'EINVAL', and .errno)
 *
 * Socket reading is driven by a libuv poll watcher on the daemon's own loop: no threads, no blocking. mount and
 * umount2 run on the thread pool, so a slow unmount never stalls the daemon (and no process is spawned for them).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define READ_BUF 65536

typedef struct {
  uv_poll_t poll;
  int fd;
  int closing;
  int finished;
  int refs; /* the JS handle and the libuv handle each hold one */
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
} conn_t;

#define CHECK(call)                                                          \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error(env, NULL, "berth_native: N-API call failed: " #call); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[4400];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static void on_close(uv_handle_t *h) {
  conn_t *c = (conn_t *)h->data;
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  if (c->cb) napi_delete_reference(c->env, c->cb);
  c->cb = NULL;
  if (c->actx) napi_async_destroy(c->env, c->actx);
  c->actx = NULL;
  if (--c->refs == 0) free(c);
}

static void start_close(conn_t *c) {
  if (c->closing) return;
  c->closing = 1;
  uv_poll_stop(&c->poll);
  uv_close((uv_handle_t *)&c->poll, on_close);
}

/* Calls onData(buffer) or onData(null, message). */
static void emit(conn_t *c, const char *data, size_t len, const char *err) {
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[2], result;
  int argc = 1;
  if (c->cb && napi_get_reference_value(env, c->cb, &cb) == napi_ok && cb) {
    napi_get_global(env, &recv); /* make_callback needs an object receiver */
    if (data) {
      void *copy;
      napi_create_buffer_copy(env, len, data, &copy, &argv[0]);
    } else {
      napi_get_null(env, &argv[0]);
      if (err) {
        napi_create_string_utf8(env, err, NAPI_AUTO_LENGTH, &argv[1]);
        argc = 2;
      }
    }
    napi_make_callback(env, c->actx, recv, cb, argc, argv, &result);
  }
  napi_close_handle_scope(env, scope);
}

static void finish(conn_t *c, const char *err) {
  if (c->finished) return;
  c->finished = 1;
  uv_poll_stop(&c->poll);
  emit(c, NULL, 0, err);
}

static void on_poll(uv_poll_t *p, int status, int events) {
  conn_t *c = (conn_t *)p->data;
  if (c->closing || c->finished) return;
  if (status < 0) {
    finish(c, uv_strerror(status));
    return;
  }
  if (!(events & (UV_READABLE | UV_DISCONNECT))) return;
  static char buf[READ_BUF];
  for (int i = 0; i < 64 && !c->closing && !c->finished; i++) {
    ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      emit(c, buf, (size_t)n, NULL);
      continue;
    }
    if (n == 0) {
      finish(c, NULL);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    finish(c, errno == ECONNRESET ? NULL : strerror(errno));
    return;
  }
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  conn_t *c = (conn_t *)data;
  start_close(c);
  if (--c->refs == 0) free(c);
}

static conn_t *get_conn(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) {
    napi_throw_type_error(env, NULL, "berth_native: not a socket handle");
    return NULL;
  }
  return (conn_t *)data;
}

static napi_value seqpacket_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "seqpacketOpen(path, onData)");
    return NULL;
  }
  char path[4096];
  size_t plen;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen));
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[1], &t));
  if (t != napi_function) {
    napi_throw_type_error(env, NULL, "seqpacketOpen: onData must be a function");
    return NULL;
  }

  /* Reach long paths through a directory fd: /proc/self/fd/N/<name>. */
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  int dirfd = -1;
  if (plen < sizeof addr.sun_path) {
    memcpy(addr.sun_path, path, plen + 1);
  } else {
    char *slash = strrchr(path, '/');
    if (!slash || slash == path) return throw_errno(env, "seqpacketOpen", ENAMETOOLONG);
    *slash = '\0';
    dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) return throw_errno(env, path, errno);
    int n = snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, slash + 1);
    *slash = '/';
    if (n < 0 || (size_t)n >= sizeof addr.sun_path) {
      close(dirfd);
      return throw_errno(env, "seqpacketOpen", ENAMETOOLONG);
    }
  }
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int e = errno;
    if (dirfd >= 0) close(dirfd);
    return throw_errno(env, "socket", e);
  }
  int rc;
  do {
    rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
  } while (rc < 0 && errno == EINTR);
  int e = errno;
  if (dirfd >= 0) close(dirfd);
  if (rc < 0) {
    close(fd);
    return throw_errno(env, path, e);
  }
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);

  conn_t *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return throw_errno(env, "seqpacketOpen", ENOMEM);
  }
  c->fd = fd;
  c->env = env;
  c->refs = 2;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &c->poll, fd) != 0) {
    close(fd);
    free(c);
    napi_throw_error(env, NULL, "seqpacketOpen: cannot watch the socket");
    return NULL;
  }
  c->poll.data = c;
  napi_value name;
  napi_create_string_utf8(env, "berth:seqpacket", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &c->actx);
  napi_create_reference(env, argv[1], 1, &c->cb);
  uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, on_poll);
  napi_value handle;
  if (napi_create_external(env, c, finalize_handle, NULL, &handle) != napi_ok) {
    c->refs = 1;
    start_close(c);
    napi_throw_error(env, NULL, "seqpacketOpen: cannot create handle");
    return NULL;
  }
  return handle;
}

static napi_value seqpacket_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "seqpacketWrite(handle, buffer)");
    return NULL;
  }
  conn_t *c = get_conn(env, argv[0]);
  if (!c) return NULL;
  void *data;
  size_t len;
  CHECK(napi_get_buffer_info(env, argv[1], &data, &len));
  ssize_t n;
  if (c->closing || c->fd < 0) {
    n = -EBADF;
  } else {
    do {
      n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) n = -errno;
  }
  napi_value out;
  CHECK(napi_create_int64(env, (int64_t)n, &out));
  return out;
}

static napi_value seqpacket_shutdown(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = argc ? get_conn(env, argv[0]) : NULL;
  if (!c) return NULL;
  if (!c->closing && c->fd >= 0) shutdown(c->fd, SHUT_WR);
  return NULL;
}

static napi_value seqpacket_pause_resume(napi_env env, napi_callback_info info, int resume) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = argc ? get_conn(env, argv[0]) : NULL;
  if (!c) return NULL;
  if (c->closing || c->finished) return NULL;
  if (resume) uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, on_poll);
  else uv_poll_stop(&c->poll);
  return NULL;
}

static napi_value seqpacket_pause(napi_env env, napi_callback_info info) { return seqpacket_pause_resume(env, info, 0); }
static napi_value seqpacket_resume(napi_env env, napi_callback_info info) { return seqpacket_pause_resume(env, info, 1); }

static napi_value seqpacket_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = argc ? get_conn(env, argv[0]) : NULL;
  if (!c) return NULL;
  c->finished = 1;
  start_close(c); /* memory stays until the JS handle is collected: later calls see EBADF */
  return NULL;
}

/* ------------------------------------------------------------------ mount / umount2 */

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int unmount;
  char *source, *target, *fstype, *data;
  unsigned long flags;
  int err;
} mount_req_t;

/* A JS string as a malloc'd C string; null/undefined give NULL. Returns 0 on success. */
static int get_cstr(napi_env env, napi_value v, char **out) {
  napi_valuetype t;
  *out = NULL;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) return 0;
  if (t != napi_string) return -1;
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return -1;
  *out = malloc(len + 1);
  if (!*out) return -1;
  return napi_get_value_string_utf8(env, v, *out, len + 1, &len) == napi_ok ? 0 : -1;
}

static const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case ENODEV: return "ENODEV";
    case ENOMEM: return "ENOMEM";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    case ENOTBLK: return "ENOTBLK";
    case EROFS: return "EROFS";
    default: return "EUNKNOWN";
  }
}

static void free_mount_req(mount_req_t *r) {
  free(r->source);
  free(r->target);
  free(r->fstype);
  free(r->data);
  free(r);
}

static void mount_execute(napi_env env, void *data) {
  (void)env;
  mount_req_t *r = (mount_req_t *)data;
  int rc = r->unmount ? umount2(r->target, (int)r->flags) : mount(r->source, r->target, r->fstype, r->flags, r->data);
  r->err = rc < 0 ? errno : 0;
}

static void mount_complete(napi_env env, napi_status status, void *data) {
  mount_req_t *r = (mount_req_t *)data;
  int err = status == napi_ok ? r->err : ECANCELED;
  if (err == 0) {
    napi_value u;
    napi_get_undefined(env, &u);
    napi_resolve_deferred(env, r->deferred, u);
  } else {
    char msg[4600];
    snprintf(msg, sizeof msg, "%s %s: %s", r->unmount ? "umount2" : "mount", r->target ? r->target : "", strerror(err));
    napi_value m, code, e, no;
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, m, &e);
    napi_create_int32(env, err, &no);
    napi_set_named_property(env, e, "code", code);
    napi_set_named_property(env, e, "errno", no);
    napi_reject_deferred(env, r->deferred, e);
  }
  napi_delete_async_work(env, r->work);
  free_mount_req(r);
}

static napi_value queue_mount(napi_env env, mount_req_t *r) {
  napi_value promise, name;
  if (napi_create_promise(env, &r->deferred, &promise) != napi_ok) {
    free_mount_req(r);
    napi_throw_error(env, NULL, "berth_native: cannot create a promise");
    return NULL;
  }
  napi_create_string_utf8(env, r->unmount ? "berth:umount2" : "berth:mount", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, mount_execute, mount_complete, r, &r->work) != napi_ok ||
      napi_queue_async_work(env, r->work) != napi_ok) {
    napi_value m, e;
    napi_create_string_utf8(env, "berth_native: cannot queue work", NAPI_AUTO_LENGTH, &m);
    napi_create_error(env, NULL, m, &e);
    napi_reject_deferred(env, r->deferred, e);
    free_mount_req(r);
  }
  return promise;
}

static napi_value do_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "mount(source, target, fstype, flags, data)");
    return NULL;
  }
  mount_req_t *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, "mount", ENOMEM);
  int64_t flags = 0;
  if (get_cstr(env, argv[0], &r->source) || get_cstr(env, argv[1], &r->target) || !r->target ||
      get_cstr(env, argv[2], &r->fstype) || napi_get_value_int64(env, argv[3], &flags) != napi_ok ||
      get_cstr(env, argv[4], &r->data)) {
    free_mount_req(r);
    napi_throw_type_error(env, NULL, "mount: bad arguments");
    return NULL;
  }
  r->flags = (unsigned long)flags;
  return queue_mount(env, r);
}

static napi_value do_umount2(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "umount2(target, flags)");
    return NULL;
  }
  mount_req_t *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, "umount2", ENOMEM);
  int64_t flags = 0;
  if (get_cstr(env, argv[0], &r->target) || !r->target || napi_get_value_int64(env, argv[1], &flags) != napi_ok) {
    free_mount_req(r);
    napi_throw_type_error(env, NULL, "umount2: bad arguments");
    return NULL;
  }
  r->unmount = 1;
  r->flags = (unsigned long)flags;
  return queue_mount(env, r);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"seqpacketOpen", NULL, seqpacket_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seqpacketWrite", NULL, seqpacket_write, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seqpacketShutdown", NULL, seqpacket_shutdown, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seqpacketPause", NULL, seqpacket_pause, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seqpacketResume", NULL, seqpacket_resume, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seqpacketClose", NULL, seqpacket_close, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mount", NULL, do_mount, NULL, NULL, NULL, napi_enumerable, NULL},
    {"umount2", NULL, do_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
