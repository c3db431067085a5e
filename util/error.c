#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int error_install(berth_error **err, int code, char *message)
{
	if (code <= 0)
		code = EINVAL;
	if (!err) {
		free(message);
		return -code;
	}
	error_free(*err);
	*err = calloc(1, sizeof(**err));
	if (!*err) {
		free(message);
		return -ENOMEM;
	}
	(*err)->code = code;
	(*err)->message = message ? message : strdup("out of memory");
	return -code;
}

/* vasprintf that yields NULL (not an undefined pointer) when it fails. */
__attribute__((format(printf, 1, 0))) static char *format_v(const char *fmt, va_list ap)
{
	char *out = NULL;
	if (vasprintf(&out, fmt, ap) < 0)
		return NULL;
	return out;
}

int error_errno(berth_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *context = format_v(fmt, ap);
	va_end(ap);
	char *message = NULL;
	if (asprintf(&message, "%s: %s", context ? context : "?", strerror(code)) < 0)
		message = NULL;
	return error_install(err, code, message);
}

int error_new(berth_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *message = format_v(fmt, ap);
	va_end(ap);
	return error_install(err, code, message);
}

int error_prefix(berth_error **err, const char *fmt, ...)
{
	va_list ap;
	if (!err || !*err)
		return -EINVAL;
	va_start(ap, fmt);
	_cleanup_free_ char *context = format_v(fmt, ap);
	va_end(ap);
	char *message = NULL;
	if (!context || asprintf(&message, "%s: %s", context, (*err)->message) < 0)
		return -(*err)->code;
	free((*err)->message);
	(*err)->message = message;
	return -(*err)->code;
}

void error_free(berth_error *err)
{
	if (!err)
		return;
	free(err->message);
	free(err);
}

static void (*warning_sink)(const char *message);

void warning_set_sink(void (*sink)(const char *message))
{
	warning_sink = sink;
}

void warning(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (warning_sink)
		warning_sink(msg);
	else
		dprintf(2, "berth: warning: %s\n", msg);
}

static void (*debug_sink)(const char *message);

void debug_set_sink(void (*sink)(const char *message))
{
	debug_sink = sink;
}

void debug(const char *fmt, ...)
{
	if (!debug_sink)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	debug_sink(msg);
}
