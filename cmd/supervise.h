/* Staying in the foreground of a container process, as runc run and exec do. */
#pragma once

/* Block the signals supervise forwards: call before the container can run, so none is lost to berth. */
void supervise_block_signals(void);

/*
 * Forward the usual signals to the process behind pidfd and, with a pty
 * master, copy stdin to it and it to stdout (raw terminal, window size kept).
 * Returns the exit status as a shell would: the code, or 128 + the signal.
 */
int supervise(int pidfd, int master);
