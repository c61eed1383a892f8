// For scripts/hot-functions.sh only (LD_PRELOAD under valgrind, never shipped). Foundation's Process asks
// posix_spawn to close every descriptor above 2, up to a limit that valgrind lowers for the program it
// runs; glibc then refuses the request with EBADF and the spawn fails. Under valgrind the requests are
// made, and their refusal ignored: the child may inherit a descriptor, which does not matter for tracing.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <spawn.h>

int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from) {
    static int (*real)(posix_spawn_file_actions_t *, int);
    if (!real) real = (int (*)(posix_spawn_file_actions_t *, int))dlsym(RTLD_NEXT, "posix_spawn_file_actions_addclosefrom_np");
    if (real) real(actions, from);
    return 0;
}

int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *actions, int descriptor) {
    static int (*real)(posix_spawn_file_actions_t *, int);
    if (!real) real = (int (*)(posix_spawn_file_actions_t *, int))dlsym(RTLD_NEXT, "posix_spawn_file_actions_addclose");
    if (real) real(actions, descriptor);
    return 0;
}
