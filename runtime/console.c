#include "runtime/console.h"

#include "namespaces/mounts.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int bind_dev_console(int slave)
{
	struct stat st;
	int target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target >= 0 && (fstat(target, &st) < 0 || S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))) {
		close(target);
		target = -1;
		if (unlink("/dev/console") < 0 && rmdir("/dev/console") < 0)
			return -errno;
	}
	if (target < 0) {
		int f = open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f < 0)
			return -errno;
		close(f);
		target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (target < 0)
			return -errno;
	}
	int r = mount_bind_fd(slave, target, false, 0);
	close(target);
	return r;
}

/*
 * The pty pair, from the devpts instance of /dev/ptmx. In a live container
 * (exec) the container decides what /dev/ptmx is: only a devpts ptmx is taken,
 * and the slave comes from the master (TIOCGPTPEER), never by its name in a
 * /dev/pts the container could have changed (CVE-2025-52565, as runc).
 */
static int open_pty(int *ret_master, int *ret_slave, char name[64], berth_error **err)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (master < 0)
		return error_errno(err, errno, "terminal: open /dev/ptmx");
	struct stat st;
	struct statfs sf;
	if (fstat(master, &st) < 0 || fstatfs(master, &sf) < 0)
		return error_errno(err, errno, "terminal: /dev/ptmx");
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2 || sf.f_type != DEVPTS_SUPER_MAGIC)
		return error_new(err, EPERM, "terminal: /dev/ptmx is not the ptmx of a devpts filesystem");
	if (fcntl(master, F_SETFL, O_RDWR) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, 64) != 0)
		return error_errno(err, errno, "terminal: unlock the pty");
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return error_errno(err, errno, "terminal: open the pty's peer %s", name);
	*ret_slave = slave;
	*ret_master = TAKE_FD(master);
	return 0;
}

int console_setup(const struct oci_box *size, bool bind_console, uid_t owner, int *ret_master, berth_error **err)
{
	char name[64];
	int master = -1, slave_fd = -1;
	int r0 = open_pty(&master, &slave_fd, name, err);
	if (r0 < 0)
		return r0;
	_cleanup_close_ int slave = slave_fd;
	/* The process user owns its terminal, as with runc (the group stays devpts' tty group). */
	if (owner != 0 && fchown(slave, owner, (gid_t) -1) < 0) {
		int e = errno;
		close(master);
		return error_errno(err, e, "terminal: give %s to uid %u", name, (unsigned) owner);
	}
	if (size) {
		struct winsize ws = { .ws_row = (unsigned short) size->height.value, .ws_col = (unsigned short) size->width.value };
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0) {
			int e = errno;
			close(master);
			return error_errno(err, e, "process.consoleSize: set the window size");
		}
	}
	/*
	 * /dev/console is the pty too, as runc makes it: a bind over an empty file.
	 * CVE-2025-52565: whatever the image put there is never followed; a
	 * symlink is replaced, and the bind goes fd to fd (no path is looked up).
	 */
	if (bind_console) {
		int r = bind_dev_console(slave);
		if (r < 0) {
			close(master);
			return error_errno(err, -r, "terminal: bind %s on /dev/console", name);
		}
	}
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
		int e = errno;
		close(master);
		return error_errno(err, e, "terminal: make %s the controlling terminal", name);
	}
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0) {
			int e = errno;
			close(master);
			return error_errno(err, e, "terminal: use %s as stdio", name);
		}
	*ret_master = master;
	return 0;
}

int console_send(const char *socket_path, int master, berth_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char name[64] = "/dev/ptmx";
	char control[CMSG_SPACE(sizeof(int))] = { 0 };

	_cleanup_close_ int dirfd = -1;
	if (strlen(socket_path) < sizeof(addr.sun_path))
		strcpy(addr.sun_path, socket_path);
	else {
		/* Longer than sun_path: reach it through an fd of its directory (/proc/self/fd/N/name). */
		const char *slash = strrchr(socket_path, '/');
		_cleanup_free_ char *dir = slash ? strndup(socket_path, (size_t) (slash - socket_path) + 1) : NULL;
		dirfd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
		if (dirfd < 0 || (size_t) snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dirfd,
						  slash + 1) >= sizeof(addr.sun_path))
			return error_new(err, ENAMETOOLONG, "--console-socket: path too long: `%s`", socket_path);
	}
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
		return error_errno(err, errno, "--console-socket: connect to `%s`", socket_path);
	if (ptsname_r(master, name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "/dev/ptmx");
	struct iovec iov = { .iov_base = name, .iov_len = strlen(name) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		return error_errno(err, errno, "--console-socket: send the pty to `%s`", socket_path);
	return 0;
}
