#include "runtime/sync.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_send(int fd, enum sync_type type, int code, const char *text, int pass_fd)
{
	struct sync_msg msg = { .type = type, .code = code };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	if (text)
		snprintf(msg.text, sizeof(msg.text), "%s", text);
	struct iovec iov = { .iov_base = &msg, .iov_len = offsetof(struct sync_msg, text) + strlen(msg.text) + 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (pass_fd >= 0) {
		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	while (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int sync_recv(int fd, struct sync_msg *msg, int *ret_fd)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	ssize_t n;

	if (ret_fd)
		*ret_fd = -1;
	memset(msg, 0, sizeof(*msg));
	while ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) < 0)
		if (errno != EINTR)
			return -errno;
	if (n == 0)
		return -EPIPE;
	msg->text[sizeof(msg->text) - 1] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int passed;
			memcpy(&passed, CMSG_DATA(c), sizeof(int));
			if (ret_fd)
				*ret_fd = passed;
			else
				close(passed);
		}
	return 0;
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
