#include "runtime/sync.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int send_msg(int fd, const struct sync_msg *msg, const int *fds, size_t n)
{
	char control[CMSG_SPACE(sizeof(int) * SYNC_MAX_FDS)] = { 0 };
	struct iovec iov = { .iov_base = (void *) msg, .iov_len = offsetof(struct sync_msg, text) + strlen(msg->text) + 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n > SYNC_MAX_FDS)
		return -E2BIG;
	if (n) {
		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	while (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int sync_send(int fd, enum sync_type type, int code, const char *text, int pass_fd)
{
	struct sync_msg msg = { .type = type, .code = code };
	if (text)
		snprintf(msg.text, sizeof(msg.text), "%s", text);
	return send_msg(fd, &msg, &pass_fd, pass_fd >= 0 ? 1 : 0);
}

int sync_send_fds(int fd, enum sync_type type, const int *fds, size_t n)
{
	struct sync_msg msg = { .type = type, .code = (int32_t) n };
	return send_msg(fd, &msg, fds, n);
}

int sync_recv_fds(int fd, struct sync_msg *msg, int *fds, size_t max, size_t *ret_n)
{
	char control[CMSG_SPACE(sizeof(int) * SYNC_MAX_FDS)];
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	ssize_t n;

	*ret_n = 0;
	memset(msg, 0, sizeof(*msg));
	while ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) < 0)
		if (errno != EINTR)
			return -errno;
	if (n == 0)
		return -EPIPE;
	msg->text[sizeof(msg->text) - 1] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int passed;
			memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*ret_n < max)
				fds[(*ret_n)++] = passed;
			else
				close(passed); /* more than asked for: none of them may stay open unseen */
		}
	}
	return 0;
}

int sync_recv(int fd, struct sync_msg *msg, int *ret_fd)
{
	int passed = -1;
	size_t n = 0;
	int r = sync_recv_fds(fd, msg, &passed, ret_fd ? 1 : 0, &n);
	if (ret_fd)
		*ret_fd = n ? passed : -1;
	return r;
}

void sync_send_error(int fd, const berth_error *err)
{
	(void) sync_send(fd, SYNC_ERROR, err ? err->code : EIO, err ? err->message : "unknown error", -1);
}

int sync_expect(int fd, enum sync_type type, int *ret_fd, berth_error **err)
{
	struct sync_msg msg;
	int r = sync_recv(fd, &msg, ret_fd);
	if (r < 0)
		return error_errno(err, -r, "container init");
	if (msg.type == SYNC_ERROR)
		return error_new(err, msg.code > 0 ? msg.code : EIO, "%s", msg.text);
	if (msg.type != type)
		return error_new(err, EPROTO, "container init: unexpected message %u (wanted %u)", msg.type, type);
	return 0;
}

int sync_ack(int fd, berth_error **err)
{
	int r = sync_send(fd, SYNC_ACK, 0, NULL, -1);
	return r < 0 ? error_errno(err, -r, "answer the container's process") : 0;
}
