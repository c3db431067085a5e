/*
 * The channel between berth and the container's init while it is set up: a
 * SOCK_SEQPACKET socketpair whose messages may carry one fd (the pty master).
 * Errors in the init travel back as text, so the caller sees the cause
 * ("mount \"proc\" on \"/proc\": Operation not permitted"), never a bare EOF.
 * Strictly turn by turn: whoever sent waits for the answer, so an init that
 * shares berth's memory never runs while berth does (runtime/container.c).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum sync_type {
	SYNC_GO = 1,       /* berth -> init: mappings written, cgroups joined; set up */
	SYNC_HOOKS,        /* init -> berth: mounts done; run prestart/createRuntime now */
	SYNC_HOOKS_DONE,   /* berth -> init */
	SYNC_PTY,          /* init -> berth: the pty master (fd attached); berth answers SYNC_ACK */
	SYNC_SECCOMP,      /* init -> berth: the seccomp notify fd (attached), for listenerPath; SYNC_ACK */
	SYNC_READY,        /* init -> berth: waiting for start */
	SYNC_ERROR,        /* either way: code + message */
	SYNC_COMMITTED,    /* berth -> init: state.json is saved; outlive berth from now on */
	SYNC_ACK,          /* berth -> init: done with what the init sent */
	SYNC_RELEASE,      /* berth -> init (run): berth waits, touching nothing, until the init execs */
	SYNC_SOURCES,      /* init -> berth: open the bind sources in my mount namespace (a user namespace's init) */
	SYNC_SOURCE_FDS,   /* berth -> init: the next of them (up to SYNC_MAX_FDS, attached); the init acks all but the last */
};

#define SYNC_MAX_FDS 64

struct sync_msg {
	uint32_t type;
	int32_t code;
	char text[3584];
};

int sync_send(int fd, enum sync_type type, int code, const char *text, int pass_fd);

/* Receive one message; *ret_fd gets an attached fd or -1. Returns 0, -EPIPE on EOF, or -errno. */
int sync_recv(int fd, struct sync_msg *msg, int *ret_fd);

/* A message carrying n (<= SYNC_MAX_FDS) fds, and its receipt: up to max fds in fds[], how many in *ret_n. */
int sync_send_fds(int fd, enum sync_type type, const int *fds, size_t n);
int sync_recv_fds(int fd, struct sync_msg *msg, int *fds, size_t max, size_t *ret_n);

/* Send err as SYNC_ERROR. */
void sync_send_error(int fd, const berth_error *err);

/* Answer the init's last message (SYNC_ACK). */
int sync_ack(int fd, berth_error **err);

/* Wait for a message of the given type; SYNC_ERROR from the peer becomes *err. */
int sync_expect(int fd, enum sync_type type, int *ret_fd, berth_error **err);
