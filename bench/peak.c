/*
 * peak PROG ARGS: run PROG and print the peak RSS (KiB) of it and its waited-for descendants.
 * A tiny static launcher, so its own pages do not count: a child made by fork() or vfork()
 * starts with its parent's resident pages on the books (13 MiB from python, 1.3 MiB from busybox).
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[1], argv + 1);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return 2;
	fprintf(stderr, "%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
