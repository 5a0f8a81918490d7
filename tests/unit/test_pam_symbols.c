/* pam_postwarden.so exports the PAM entry points and nothing else: the option parser, the client
 * library and jansson's or libc's names must never be resolvable from the module, where they
 * could clash with an application's own (pam_postwarden.map does this; here we prove it).
 *
 * Two views of the same fact: the loader's (dlopen + dlsym), and the file's (every defined
 * global in .dynsym, read with <elf.h>). A third test reads .symtab for mutable statics. */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef PW_SANITIZED
#define PW_SANITIZED 0
#endif
#ifndef PW_PAM_MODULE
#error "PW_PAM_MODULE (path of pam_postwarden.so) must be defined"
#endif

static const char *const entry_points[] = {
        "pam_sm_open_session", "pam_sm_close_session", "pam_sm_authenticate",
        "pam_sm_setcred",      "pam_sm_acct_mgmt",     "pam_sm_chauthtok",
};

static void loader_sees_only_entry_points(void **state) {
        void *h = dlopen(PW_PAM_MODULE, RTLD_NOW | RTLD_LOCAL);
        if (!h)
                fail_msg("dlopen: %s", dlerror());
        for (size_t i = 0; i < sizeof entry_points / sizeof *entry_points; i++)
                assert_non_null(dlsym(h, entry_points[i]));
        /* Linked in, but must stay local. dlsym on a handle also searches the module's
         * dependencies, so only names defined by the module itself are asked for. */
        static const char *const hidden[] = {
                "pw_pam_args_parse", "pw_pam_args_skips", "pw_client_connect", "pw_client_request",
                "pw_client_free",    "pw_frame_encode",   "session",           "collect"};
        for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++) {
                void *p = dlsym(h, hidden[i]);
                if (p)
                        fail_msg("%s is exported", hidden[i]);
        }
        dlclose(h);
}

static void dynsym_defines_only_entry_points(void **state) {
        int fd = open(PW_PAM_MODULE, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        assert_true((size_t)st.st_size >= sizeof(Elf64_Ehdr));
        const unsigned char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        assert_true(m != MAP_FAILED);
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
        assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
        assert_int_equal(eh->e_ident[EI_CLASS], ELFCLASS64);
        assert_true(eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) <=
                    (uint64_t)st.st_size);
        const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);

        int defined = 0, entry = 0;
        for (int i = 0; i < eh->e_shnum; i++) {
                if (sh[i].sh_type != SHT_DYNSYM)
                        continue;
                assert_true(sh[i].sh_link < eh->e_shnum);
                const char *strtab = (const char *)(m + sh[sh[i].sh_link].sh_offset);
                const Elf64_Sym *sym = (const Elf64_Sym *)(m + sh[i].sh_offset);
                size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
                for (size_t k = 0; k < n; k++) {
                        int bind = ELF64_ST_BIND(sym[k].st_info);
                        if (sym[k].st_shndx == SHN_UNDEF || bind == STB_LOCAL)
                                continue;
                        const char *name = strtab + sym[k].st_name;
                        defined++;
                        if (strncmp(name, "pam_sm_", 7) != 0)
                                fail_msg("module exports %s", name);
                        entry++;
                }
        }
        munmap((void *)m, (size_t)st.st_size);
        assert_int_equal(entry, (int)(sizeof entry_points / sizeof *entry_points));
        assert_int_equal(defined, entry);
}

/* No mutable statics: the only data objects in writable sections are the C runtime's own. Uses
 * .symtab, so it needs an unstripped build (skipped otherwise). */
static void no_writable_data_of_ours(void **state) {
        if (PW_SANITIZED)
                skip(); /* instrumentation adds writable metadata and moves constants */
        static const char *const crt[] = {
                "completed.0",
                "__dso_handle",
                "__TMC_END__",
                "_DYNAMIC",
                "_GLOBAL_OFFSET_TABLE_",
                "__do_global_dtors_aux_fini_array_entry",
                "__frame_dummy_init_array_entry",
        };
        int fd = open(PW_PAM_MODULE, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        const unsigned char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        assert_true(m != MAP_FAILED);
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
        const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);
        int seen_symtab = 0;
        for (int i = 0; i < eh->e_shnum; i++) {
                if (sh[i].sh_type != SHT_SYMTAB)
                        continue;
                seen_symtab = 1;
                const char *strtab = (const char *)(m + sh[sh[i].sh_link].sh_offset);
                const Elf64_Sym *sym = (const Elf64_Sym *)(m + sh[i].sh_offset);
                for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); k++) {
                        if (ELF64_ST_TYPE(sym[k].st_info) != STT_OBJECT ||
                            sym[k].st_shndx == SHN_UNDEF || sym[k].st_shndx >= eh->e_shnum ||
                            !(sh[sym[k].st_shndx].sh_flags & SHF_WRITE))
                                continue;
                        const char *name = strtab + sym[k].st_name;
                        int ok = 0;
                        for (size_t c = 0; c < sizeof crt / sizeof *crt; c++)
                                ok |= strcmp(name, crt[c]) == 0;
                        if (!ok)
                                fail_msg("writable data object in the module: %s", name);
                }
        }
        munmap((void *)m, (size_t)st.st_size);
        if (!seen_symtab)
                skip();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(loader_sees_only_entry_points),
                cmocka_unit_test(dynsym_defines_only_entry_points),
                cmocka_unit_test(no_writable_data_of_ours),
        };
        return cmocka_run_group_tests_name("pam_symbols", tests, NULL, NULL);
}
