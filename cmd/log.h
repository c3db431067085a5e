/*
 * berth's log: one record per line to --log FILE (or stderr), in the
 * --log-format containerd and conmon read: json is
 * {"level":"error","msg":"...","time":"<RFC 3339>"}; text is logrus-style.
 */
#pragma once

#include <stdbool.h>

#include "util/error.h"

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON,
};

/* Open the log (path NULL: stderr). Safe to call again: the last call wins. */
int log_open(const char *path, enum log_format format, bool debug, berth_error **err);
void log_close(void);

/* Move the log's fd above `fd` (the range below is the container's). */
int log_move_above(int fd, berth_error **err);

void log_message(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Report a fatal error once: a record in the log and, when the log is a file,
 * the bare message on stderr too (as runc does), so both callers that read the
 * log and people at a terminal see the cause.
 */
void log_fatal(const char *message);
