/*
 * pipesz - run a command with its standard input and output pipes shrunk
 * to one page, so that any burst of output fills them at once.
 *
 *   pipesz COMMAND [ARG…]
 *
 * Sets F_SETPIPE_SZ to the page size on fd 0 and fd 1 where they are
 * pipes (a pipe's size is the pipe's, so both ends see it), then executes
 * COMMAND in its place.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void shrink(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode))
		return;
	if (fcntl(fd, F_SETPIPE_SZ, (int)sysconf(_SC_PAGESIZE)) < 0)
		perror("pipesz: F_SETPIPE_SZ");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pipesz COMMAND [ARG...]\n");
		return 64;
	}
	shrink(0);
	shrink(1);
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
