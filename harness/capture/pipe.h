/* SPDX-License-Identifier: MIT */
/* pipe.h — a decoder's sink calls recorded on the reading thread, replayed in order on a second one. */
#ifndef XS_CAPTURE_PIPE_H
#define XS_CAPTURE_PIPE_H

#include "capture.h"

/*
 * The reading thread gives its decoder cap_pipe_sink(): every call (a unit
 * with its bytes, a note, a tick) is recorded into chunks, and a second
 * thread replays the chunks into `to`, in the same order, so `to` sees
 * exactly the calls it would have seen inline. Only the chunks cross between
 * the threads: what `to` builds stays on its thread.
 *
 * A tick's answer is needed when it is recorded: clock(clock_ctx, ts) gives
 * it on the reading thread. It must be what `to`'s tick returns for the same
 * times (a pure function of them), so the decoder asks at the same frames.
 *
 * While the replaying thread is behind (from the time the reading thread
 * finds CAP_PIPE_QUEUE chunks waiting and has to wait for room, until the
 * replaying thread has to wait for work), prepare(p, u), when set,
 * runs on the reading thread on each recorded unit (its bytes in the chunk,
 * followed by a NUL): it may take room after the unit (cap_pipe_room: n
 * bytes aligned for any type, or NULL when the chunk has none), fill it and
 * point u->prep at it; the replay passes u->prep on.
 *
 * cap_pipe_start returns 0, -ENOMEM or the negated pthread_create error.
 * cap_pipe_finish hands over what is recorded, waits until it is replayed,
 * ends the thread and frees the pipe (NULL accepted).
 */
struct cap_pipe;
struct cap_pipe_opts {
	const struct cap_sink *to;
	int64_t (*clock)(void *clock_ctx, int64_t ts_us);
	void *clock_ctx;
	void (*prepare)(struct cap_pipe *p, struct cap_unit *u);
};

#define CAP_PIPE_QUEUE  8u /* chunks waiting for the replaying thread, at most */

int cap_pipe_start(struct cap_pipe **ret, const struct cap_pipe_opts *o);
const struct cap_sink *cap_pipe_sink(struct cap_pipe *p);
void *cap_pipe_room(struct cap_pipe *p, size_t n);
void cap_pipe_finish(struct cap_pipe *p);

#endif
