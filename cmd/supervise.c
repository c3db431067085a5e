/* A foreground process (run, exec without --detach): signals forwarded, the pty proxied, the status returned. */
#include "cmd/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"

/* Signals a foreground run passes on to the container, as runc does. */
static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM };

static void copy_winsize(int from, int to)
{
	struct winsize ws;
	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		(void) ioctl(to, TIOCSWINSZ, &ws);
}

/* Move what is readable from `from` to `to`; false once from is finished. */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	return n > 0 && write_all(to, buf, (size_t) n) == 0;
}

/* Forward signals (and, with a pty, stdio) until the init exits; returns its wait status. */
static void forwarded_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(set, forwarded[i]);
}

void supervise_block_signals(void)
{
	sigset_t set;
	forwarded_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

int supervise(int pidfd, int master)
{
	sigset_t set;
	forwarded_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	struct termios saved;
	bool raw = master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
		copy_winsize(STDIN_FILENO, master);
	}
	bool stdin_open = master >= 0, master_open = master >= 0;
	siginfo_t info = { 0 };
	for (;;) {
		struct pollfd p[4] = { { .fd = pidfd, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN },
				       { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
				       { .fd = master_open ? master : -1, .events = POLLIN } };
		if (poll(p, 4, -1) < 0 && errno != EINTR) {
			/* Nothing more can be relayed: the status is still the process' own, never a made-up 128. */
			if (waitid(P_PIDFD, (id_t) pidfd, &info, WEXITED) < 0)
				info = (siginfo_t){ .si_code = CLD_EXITED, .si_status = 255 };
			break;
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH && master >= 0)
					copy_winsize(STDIN_FILENO, master);
				else
					(void) pidfd_send(pidfd, (int) si.ssi_signo);
			}
		}
		if (p[2].revents && !pump(STDIN_FILENO, master))
			stdin_open = false;
		if (p[3].revents && !pump(master, STDOUT_FILENO))
			master_open = false;
		if (p[0].revents && !master_open) {
			if (waitid(P_PIDFD, (id_t) pidfd, &info, WEXITED) == 0)
				break;
		} else if (p[0].revents && master >= 0) {
			/* Exited: drain what the pty still holds, then collect the status. */
			fcntl(master, F_SETFL, O_NONBLOCK);
			while (pump(master, STDOUT_FILENO))
				if (errno == EAGAIN)
					break;
			master_open = false;
		}
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (info.si_code == CLD_EXITED)
		return info.si_status;
	return 128 + info.si_status;
}

