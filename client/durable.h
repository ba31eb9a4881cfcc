/*
 * durable.h - making a folder's entries durable: after a file is created,
 * renamed or linked into a folder, only an fsync of the folder itself makes
 * the new name survive a power cut.
 */
#ifndef WK_DURABLE_H
#define WK_DURABLE_H

/*
 * fsync the folder dir. 0, or -1 with errno set (the open or the fsync
 * failed). A file system that cannot fsync a folder (EINVAL, ENOTSUP) counts
 * as done: there is nothing more to ask of it.
 */
int wk_fsync_dir(const char *dir);

/* fsync the folder holding path ("." for a bare name, "/" for a name at the root). */
int wk_fsync_parent(const char *path);

#endif
