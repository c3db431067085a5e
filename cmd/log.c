#include "cmd/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/json.h"
#include "util/proc.h"

static int log_fd = -1; /* -1: stderr */
static enum log_format log_format_used = LOG_FORMAT_TEXT;
static bool log_debug;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

int log_open(const char *path, enum log_format format, bool debug, berth_error **err)
{
	log_close();
	if (path && *path) {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
		if (fd < 0)
			return error_errno(err, errno, "--log: open `%s`", path);
		log_fd = fd;
	}
	log_format_used = format;
	log_debug = debug;
	return 0;
}

void log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

int log_move_above(int fd, berth_error **err)
{
	if (log_fd < 0 || log_fd > fd)
		return 0;
	int moved = fcntl(log_fd, F_DUPFD_CLOEXEC, fd + 1);
	if (moved < 0)
		return error_errno(err, errno, "--log: move the log fd");
	/* The old number may be one the container inherits: it is now /dev/null's (see preserve-fds). */
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0) {
		dup2(null, log_fd);
		if (null != log_fd)
			close(null);
	} else
		close(log_fd);
	log_fd = moved;
	return 0;
}

/* logrus' text format quotes msg; escape what would break the line. */
static void append_quoted(char *out, size_t size, size_t *len, const char *s)
{
	for (; *s && *len + 3 < size; s++) {
		if (*s == '"' || *s == '\\') {
			out[(*len)++] = '\\';
			out[(*len)++] = *s;
		} else if (*s == '\n') {
			out[(*len)++] = '\\';
			out[(*len)++] = 'n';
		} else
			out[(*len)++] = *s;
	}
	out[*len] = '\0';
}

static void write_record(enum log_level level, const char *msg)
{
	char when[40];
	time_rfc3339(when, sizeof(when), false);
	int fd = log_fd >= 0 ? log_fd : STDERR_FILENO;

	if (log_format_used == LOG_FORMAT_JSON) {
		_cleanup_json_gen_ yajl_gen g = json_gen_new(NULL);
		const unsigned char *buf = NULL;
		size_t len = 0;
		if (!g)
			return;
		yajl_gen_map_open(g);
		json_gen_cstring(g, "level");
		json_gen_cstring(g, level_names[level]);
		json_gen_cstring(g, "msg");
		json_gen_cstring(g, msg);
		json_gen_cstring(g, "time");
		json_gen_cstring(g, when);
		yajl_gen_map_close(g);
		if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
			return;
		/* One write per record, so concurrent writers to the same file never interleave a line. */
		_cleanup_free_ char *line = malloc(len + 1);
		if (!line)
			return;
		memcpy(line, buf, len);
		line[len] = '\n';
		(void) write_all(fd, line, len + 1);
		return;
	}

	char line[4096];
	size_t len = 0;
	if (log_fd >= 0) {
		int n = snprintf(line, sizeof(line), "time=\"%s\" level=%s msg=\"", when, level_names[level]);
		len = n > 0 ? (size_t) n : 0;
		append_quoted(line, sizeof(line) - 2, &len, msg);
		line[len++] = '"';
	} else {
		int n = snprintf(line, sizeof(line) - 1, "berth: %s%s%s", level == LOG_LEVEL_ERROR ? "" : level_names[level],
				 level == LOG_LEVEL_ERROR ? "" : ": ", msg);
		len = n > 0 ? ((size_t) n < sizeof(line) - 1 ? (size_t) n : sizeof(line) - 2) : 0;
	}
	line[len++] = '\n';
	(void) write_all(fd, line, len);
}

void log_message(enum log_level level, const char *fmt, ...)
{
	char msg[3072];
	va_list ap;

	if (level == LOG_LEVEL_DEBUG && !log_debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	write_record(level, msg);
}

void log_fatal(const char *message)
{
	write_record(LOG_LEVEL_ERROR, message);
	if (log_fd >= 0) {
		char line[3100];
		int n = snprintf(line, sizeof(line), "berth: %s\n", message);
		if (n > 0)
			(void) write_all(STDERR_FILENO, line, (size_t) n < sizeof(line) ? (size_t) n : sizeof(line) - 1);
	}
}
