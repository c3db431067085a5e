/* runtime/state_store.c: what one berth records is never undone by another that read the state earlier. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/state_store.h"
#include "util/fs.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/*
 * Guards container_record_oom's re-read under the lock: a reader (state, events, delete) that loaded
 * state.json before another berth saved a change must record the OOM kills onto the state as it is now,
 * not write its old copy back. A v1 memory "hierarchy" here is a plain directory with memory.oom_control.
 */
Test(state_store, record_oom_keeps_what_another_berth_saved_since)
{
	char dir[] = "/tmp/berth-unit-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char root[4200], cdir[4300], memory[4200], cg[4300], file[4400], state[8192];
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(cdir, sizeof(cdir), "%s/c1", root);
	snprintf(memory, sizeof(memory), "%s/memory", dir);
	snprintf(cg, sizeof(cg), "%s/ctr", memory);
	cr_assert_eq(mkdir(root, 0700), 0);
	cr_assert_eq(mkdir(cdir, 0700), 0);
	cr_assert_eq(mkdir(memory, 0700), 0);
	cr_assert_eq(mkdir(cg, 0700), 0);
	snprintf(file, sizeof(file), "%s/memory.oom_control", cg);
	put(file, "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
	snprintf(state, sizeof(state),
		 "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"bundle\":\"%s\",\"status\":\"created\","
		 "\"cgroupPaths\":{\"%s\":\"/ctr\"}}",
		 dir, memory);
	snprintf(file, sizeof(file), "%s/state.json", cdir);
	put(file, state);

	struct container stale;
	berth_error *err = NULL;
	cr_assert_eq(container_open(root, "c1", false, &stale, &err), 0);

	/* Another berth, holding the lock, records a change after the reader above loaded the state. */
	struct container writer;
	cr_assert_eq(container_open(root, "c1", true, &writer, &err), 0);
	writer.state->status = OCI_STATUS_STOPPED;
	cr_assert_eq(container_save(&writer, &err), 0);
	container_close(&writer);

	snprintf(file, sizeof(file), "%s/memory.oom_control", cg);
	put(file, "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	cr_assert_eq(container_record_oom(&stale), 2);
	container_close(&stale);

	struct container now;
	cr_assert_eq(container_open(root, "c1", false, &now, &err), 0);
	cr_expect_eq(now.state->oom_kills.value, 2, "the kills were not recorded");
	cr_expect_eq(now.state->status, OCI_STATUS_STOPPED, "the other berth's change was undone");
	container_close(&now);

	char cmd[4300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}
