/*
 * durable.c - fsync of folders. See durable.h.
 */
#include "durable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int wk_fsync_dir(const char *dir)
{
	int fd, rc = 0, err;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP)
		rc = -1;
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int wk_fsync_parent(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	} else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return wk_fsync_dir(dir);
}
