/* Replays a libFuzzer seed corpus through LLVMFuzzerTestOneInput without libFuzzer.
 *
 * Builds without clang still run every fuzz target over its seeds (ctest label fuzz-smoke), so a
 * seed that crashes is caught by the ordinary build too. Arguments are files or directories. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one file through the target; returns 0, or -1 when it cannot be read. */
static int replay_file(const char *path) {
        FILE *f = fopen(path, "rb");
        if (!f) {
                perror(path);
                return -1;
        }
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
                if (len == cap) {
                        size_t ncap = cap ? cap * 2 : 4096;
                        uint8_t *n = realloc(buf, ncap);
                        if (!n) {
                                free(buf);
                                fclose(f);
                                return -1;
                        }
                        buf = n;
                        cap = ncap;
                }
                size_t got = fread(buf + len, 1, cap - len, f);
                if (got == 0)
                        break;
                len += got;
        }
        int bad = ferror(f);
        fclose(f);
        if (!bad)
                LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        return bad ? -1 : 0;
}

/* Replays `path`, a file or a directory of files; adds the count replayed to *count. */
static int replay(const char *path, unsigned *count) {
        struct stat st;
        if (stat(path, &st) < 0) {
                perror(path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
                ++*count;
                return replay_file(path);
        }
        DIR *d = opendir(path);
        if (!d) {
                perror(path);
                return -1;
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                char sub[4096];
                if (snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= (int)sizeof sub)
                        continue;
                if (replay(sub, count) < 0)
                        r = -1;
        }
        closedir(d);
        return r;
}

int main(int argc, char **argv) {
        unsigned count = 0;
        int r = 0;
        for (int i = 1; i < argc; i++)
                if (replay(argv[i], &count) < 0)
                        r = 1;
        /* An empty seed corpus proves nothing: fail so the missing seeds are noticed. */
        if (count == 0) {
                fprintf(stderr, "replay: no seed inputs found\n");
                return 1;
        }
        printf("replay: %u inputs, no crash\n", count);
        return r;
}
