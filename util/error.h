/*
 * The error object: a negative errno is returned, and where the caller needs
 * the story the object carries it ("mount `proc` on `/proc`: Operation not
 * permitted"). Callers add context with error_prefix(); only cmd/ logs it.
 */
#pragma once

#include "util/cleanup.h"

typedef struct berth_error {
	int code;      /* positive errno */
	char *message; /* never NULL once set */
} berth_error;

/* Set *err to "<formatted>: <strerror(code)>" and return -code. */
int error_errno(berth_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Set *err to "<formatted>" with the errno code kept for the caller; return -code. */
int error_new(berth_error **err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepend "<formatted>: " to the message already in *err; return -code. */
int error_prefix(berth_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void error_free(berth_error *err);

/*
 * A warning: something asked for that berth could not do while the container
 * goes on (a failing poststart hook, limits without delegated cgroups). It goes
 * where the sink sends it: stderr as "berth: warning: ..." unless cmd/ routes
 * it to the log.
 */
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning_set_sink(void (*sink)(const char *message));

/* A step of berth's, for --debug (runc logs each at debug level); nothing is formatted without a sink. */
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug_set_sink(void (*sink)(const char *message));

static inline void error_freep(berth_error **err)
{
	error_free(*err);
	*err = NULL;
}
#define _cleanup_error_ _cleanup_(error_freep)
