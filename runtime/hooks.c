#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/proc.h"

#define HOOK_OUTPUT_MAX 2048

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_one(const struct oci_hook *h, const char *kind, int state_fd, berth_error **err)
{
	int out[2];
	char output[HOOK_OUTPUT_MAX + 1];
	size_t out_len = 0;

	if (pipe2(out, O_CLOEXEC) < 0)
		return error_errno(err, errno, "%s hook `%s`", kind, h->path);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(out[0]), close(out[1]);
		return error_errno(err, e, "%s hook `%s`: fork", kind, h->path);
	}
	if (pid == 0) {
		char *fallback_argv[] = { h->path, NULL };
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* The state from its first byte: the hooks before this one read the same open file. */
		if (dup2(state_fd, 0) < 0 || lseek(0, 0, SEEK_SET) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		/* Without "env" a hook inherits berth's environment (runc's exec.Cmd does); "env": [] is an empty one. */
		execve(h->path, h->args.len ? h->args.items : fallback_argv, h->env.items ? h->env.items : environ);
		dprintf(2, "exec: %s", strerror(errno));
		_exit(127);
	}
	close(out[1]);
	_cleanup_close_ int out_fd = out[0];

	_cleanup_close_ int pidfd = pidfd_open_pid(pid);
	long long seconds = h->timeout.set ? (long long) h->timeout.value : -1;
	long long deadline = seconds < 0 ? -1 : now_ms() + (seconds > LLONG_MAX / 4000 ? LLONG_MAX / 4 : seconds * 1000);
	bool timed_out = false, out_open = true;
	int status = 0;
	for (;;) {
		struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = out_open ? out_fd : -1, .events = POLLIN } };
		long long left = deadline < 0 ? -1 : deadline - now_ms();
		int wait_ms = left > INT_MAX ? INT_MAX : (int) left; /* timeouts of years do not wrap */
		if (deadline >= 0 && wait_ms <= 0) {
			timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(p, 2, wait_ms) < 0 && errno != EINTR)
			break;
		if (p[1].revents) {
			char buf[512];
			ssize_t n = read(out_fd, buf, sizeof(buf));
			if (n <= 0)
				out_open = false;
			else {
				size_t take = (size_t) n < HOOK_OUTPUT_MAX - out_len ? (size_t) n : HOOK_OUTPUT_MAX - out_len;
				memcpy(output + out_len, buf, take);
				out_len += take;
			}
		}
		if (p[0].revents && !out_open)
			break;
		if (p[0].revents && out_open) {
			/* Exited: drain what is left of its output without blocking on inherited copies. */
			fcntl(out_fd, F_SETFL, O_NONBLOCK);
			ssize_t n;
			char buf[512];
			while ((n = read(out_fd, buf, sizeof(buf))) > 0 && out_len < HOOK_OUTPUT_MAX) {
				size_t take = (size_t) n < HOOK_OUTPUT_MAX - out_len ? (size_t) n : HOOK_OUTPUT_MAX - out_len;
				memcpy(output + out_len, buf, take);
				out_len += take;
			}
			break;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while (out_len > 0 && (output[out_len - 1] == '\n' || output[out_len - 1] == ' '))
		out_len--;
	output[out_len] = '\0';
	if (timed_out)
		return error_new(err, ETIMEDOUT, "%s hook `%s`: timed out after %llds", kind, h->path,
				 (long long) h->timeout.value);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return error_new(err, ECANCELED, "%s hook `%s`: killed by signal %d%s%s", kind, h->path, WTERMSIG(status),
				 out_len ? ": " : "", output);
	return error_new(err, ECANCELED, "%s hook `%s`: exited with status %d%s%s", kind, h->path, WEXITSTATUS(status),
			 out_len ? ": " : "", output);
}

int hooks_run_fd(const oci_hook_list *hooks, const char *kind, int state_fd, berth_error **err)
{
	for (size_t i = 0; hooks && i < hooks->len; i++) {
		int r = run_one(&hooks->items[i], kind, state_fd, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int hooks_run(const oci_hook_list *hooks, const char *kind, const char *state_json, berth_error **err)
{
	if (!hooks || hooks->len == 0)
		return 0;
	debug("running %zu %s hook(s)", hooks->len, kind);
	_cleanup_close_ int fd = memfd_with("berth-state", state_json, strlen(state_json));
	if (fd < 0)
		return error_errno(err, -fd, "%s hooks: the state for their stdin", kind);
	return hooks_run_fd(hooks, kind, fd, err);
}

void hooks_run_all_warn(const oci_hook_list *hooks, const char *kind, const char *state_json)
{
	if (!hooks || hooks->len == 0)
		return;
	debug("running %zu %s hook(s), each whatever the others do", hooks->len, kind);
	_cleanup_close_ int fd = memfd_with("berth-state", state_json, strlen(state_json));
	if (fd < 0) {
		warning("%s hooks: the state for their stdin: %s", kind, strerror(-fd));
		return;
	}
	for (size_t i = 0; i < hooks->len; i++) {
		_cleanup_error_ berth_error *err = NULL;
		if (run_one(&hooks->items[i], kind, fd, &err) < 0)
			warning("%s", err->message);
	}
}
