/*
 * elfuse's command (dist/elfuse, what `npx elfuse` and the package's bin
 * run): starts node on elfuse, passing the arguments and the environment
 * exactly as it got them. A shell script could not: a shell rebuilds the
 * environment it execs with (dash drops variables whose names are not
 * identifiers and reorders the rest, both add PWD), and the guest must see
 * what a native program would.
 *
 * It does two things node itself cannot:
 *  - tells elfuse which of stdin, stdout and stderr were closed when it was
 *    started (ELFUSE_CLOSED_STDIO=0,1,2): node opens /dev/null over closed
 *    standard streams before any JavaScript runs;
 *  - starts the V8 startup snapshot (dist/elfuse.blob, see
 *    scripts/bundle.mjs) with the node binary that built it, recorded in
 *    dist/elfuse.node, as long as that binary is not newer than the blob;
 *    otherwise it runs bin/elfuse.js with the node on PATH.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

static int self_path(char *out) {
#if defined(__APPLE__)
  char raw[PATH_MAX];
  uint32_t size = sizeof raw;
  if (_NSGetExecutablePath(raw, &size) != 0) return -1;
  return realpath(raw, out) ? 0 : -1;
#else
  return realpath("/proc/self/exe", out) ? 0 : -1;
#endif
}

/* Cuts the last path component off `path`, in place. */
static void up(char *path) {
  char *slash = strrchr(path, '/');
  if (slash && slash != path) *slash = '\0';
  else strcpy(path, "/");
}

/* The node that built the snapshot, if the snapshot is usable with it. */
static int snapshot_node(const char *root, char *node, char *blob, size_t blob_size) {
  char record[PATH_MAX + 32];
  snprintf(record, sizeof record, "%s/dist/elfuse.node", root);
  snprintf(blob, blob_size, "%s/dist/elfuse.blob", root);
  FILE *f = fopen(record, "r");
  if (!f) return -1;
  int ok = fgets(node, PATH_MAX, f) != NULL;
  fclose(f);
  if (!ok) return -1;
  node[strcspn(node, "\n")] = '\0';
  struct stat ns, bs;
  if (stat(node, &ns) != 0 || stat(blob, &bs) != 0 || access(node, X_OK) != 0) return -1;
  if (ns.st_mtime > bs.st_mtime) return -1; /* node was replaced since the build */
  return 0;
}

int main(int argc, char **argv) {
  char closed[8] = "";
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      size_t n = strlen(closed);
      if (n) closed[n++] = ',';
      closed[n] = (char)('0' + fd);
      closed[n + 1] = '\0';
    }
  }
  /* With stderr closed, complaints go nowhere, as for the native program. */
  char root[PATH_MAX];
  if (self_path(root) != 0) {
    fprintf(stderr, "elfuse: cannot find where elfuse is installed: %s\n", strerror(errno));
    return 127;
  }
  up(root); /* dist */
  up(root); /* the installation */
  if (closed[0] && setenv("ELFUSE_CLOSED_STDIO", closed, 1) != 0) return 127;

  char **args = calloc((size_t)argc + 5, sizeof *args);
  if (!args) return 127;
  char node[PATH_MAX], blob[PATH_MAX + 32], script[PATH_MAX + 32];
  int k = 0;
  if (snapshot_node(root, node, blob, sizeof blob) == 0) {
    args[k++] = node;
    args[k++] = "--snapshot-blob";
    args[k++] = blob;
    args[k++] = "--";
  } else {
    snprintf(script, sizeof script, "%s/bin/elfuse.js", root);
    args[k++] = "node";
    args[k++] = script;
  }
  for (int i = 1; i < argc; i++) args[k++] = argv[i];
  args[k] = NULL;
  execvp(args[0], args);
  fprintf(stderr, "elfuse: cannot start %s: %s (elfuse needs Node.js 20 or newer on PATH)\n", args[0], strerror(errno));
  return 127;
}
