/* syscall NR...: make each raw syscall (no arguments that matter) and print "NR:errno-name". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		long nr = strtol(argv[i], NULL, 10);
		errno = 0;
		long r = syscall(nr, 0, 0, 0, 0, 0, 0);
		printf("%ld:%s\n", nr, r < 0 ? (errno == ENOSYS ? "ENOSYS" : errno == EPERM ? "EPERM" : strerror(errno)) : "ok");
	}
	return 0;
}
