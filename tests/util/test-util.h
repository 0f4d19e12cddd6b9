/* test-util.h: what every test and benchmark needs and nothing in protocol/ offers
 * (GLib and GIO only; the helpers that need the protocol layers are in
 * test-util-wpi.h and test-util-service.h, the GTK ones in tests/ui/ui-test-util.h).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Removes path and everything under it; symbolic links are removed, not followed. */
void test_util_remove_tree (const char *path);

/* Fails the test, naming the first missing one, unless text contains every one of the
 * NULL-terminated strings */
void test_util_assert_contains_all (const char *text,
                                    const char *first,
                                    ...) G_GNUC_NULL_TERMINATED;

/* --- Waiting ------------------------------------------------------------------------ */

typedef gboolean (*TestUtilCondition) (gpointer data);

/* Iterates the thread-default main context until condition (data) holds, looking at it
 * at least every 10 ms; after timeout_ms the test fails with "Timed out after N ms
 * waiting for what". */
void     test_util_wait_until        (TestUtilCondition  condition,
                                      gpointer           data,
                                      guint              timeout_ms,
                                      const char        *what);
/* The same; on timeout the failure also says what describe (data) returns (freed here):
 * the state at the deadline, for a wait whose condition has many parts. */
typedef char *(*TestUtilDescribe) (gpointer data);
void     test_util_wait_until_described (TestUtilCondition  condition,
                                         TestUtilDescribe   describe,
                                         gpointer           data,
                                         guint              timeout_ms,
                                         const char        *what);
/* The same for a flag that a callback sets. */
void     test_util_wait_for_flag     (const gboolean    *flag,
                                      guint              timeout_ms,
                                      const char        *what);
/* Runs what is ready now on the thread-default main context, without waiting. */
void     test_util_drain_main_context (void);
/* TRUE when *(gboolean *) flag: a TestUtilCondition for a flag. */
gboolean test_util_flag_is_set       (gpointer           flag);

/* --- Places --------------------------------------------------------------------------- */

/* A TCP port on 127.0.0.1 that was free a moment ago (bound, read, released). */
guint16  test_util_free_port         (void);
/* A TCP connection from local_ip (an address of 127.0.0.0/8) to 127.0.0.1:port that sends
 * one whole TLS record with the start of a ClientHello announcing 16 KiB, then nothing: the
 * server's handshake waits for the rest (until its deadline). Unref it to close it. */
GSocketConnection *test_util_stalled_client_hello (const char *local_ip,
                                                   guint       port);
/* A new directory "prefix-XXXXXX" under the temporary folder; fails the test when it
 * cannot be made. Remove it with test_util_remove_tree(). */
char    *test_util_make_tmp_dir      (const char        *prefix);
/* The contents of tests/fixtures/name (G_TEST_DIST), failing the test when unreadable. */
GBytes  *test_util_read_fixture      (const char        *name);
/* The contents of any file, failing the test when it cannot be read. */
char    *test_util_read_file         (const char        *path,
                                      gsize             *length);

/* --- Subprocesses --------------------------------------------------------------------- */

/* The path of the program name built in dir of the build tree ("app"), failing the
 * test when it is not there */
char    *test_util_built_program     (const char        *dir,
                                      const char        *name);

/* Runs argv (NULL-terminated) with envp (NULL: this process's environment) to its end,
 * stdout and stderr captured when out/err are not NULL; returns its exit status, or -1
 * when it died of a signal. Fails the test when it cannot be started. */
int      test_util_run               (const char * const *argv,
                                      const char * const *envp,
                                      char             **out,
                                      char             **err);

/* --- Wireshark (D29, D30) ------------------------------------------------------------- */

/* The path of tshark (Debian's tshark package), or NULL after marking the test skipped
 * with a message that says so. */
const char *test_util_tshark_path    (void);
/* tshark -n -r capture with the Lua dissector data/wireshark/wpi.lua and the extra
 * arguments (NULL-terminated); returns its standard output. Fails the test when tshark
 * exits with an error or warns about anything on standard error (its note that it runs
 * as root aside). */
char       *test_util_tshark         (const char *capture,
                                      const char *first_arg,
                                      ...) G_GNUC_NULL_TERMINATED;
/* Lines in text (the last one need not end in "\n"); 0 for "" */
guint       test_util_count_lines    (const char *text);

/* Sets *exited to TRUE when process has ended (the wait runs on the thread-default
 * main context). */
void     test_util_watch_exit        (GSubprocess        *process,
                                      gboolean           *exited);
/* The console's headless service (program --headless) with data_dir, on 127.0.0.1 at
 * port and secure_port, its output in the file log_path and without debug messages;
 * *exited (unless NULL) becomes TRUE when it ends. Fails when it cannot be started. */
GSubprocess *test_util_headless_spawn (const char        *program,
                                      const char        *data_dir,
                                      guint              port,
                                      guint              secure_port,
                                      const char        *log_path,
                                      gboolean          *exited);
/* The same under a hard and soft limit of max_files open descriptors (prlimit(1); 0: none),
 * with options after the others (NULL-terminated, or NULL), e.g. --max-flows */
GSubprocess *test_util_headless_spawn_limited (const char         *program,
                                              const char         *data_dir,
                                              guint               port,
                                              guint               secure_port,
                                              const char         *log_path,
                                              gboolean           *exited,
                                              guint               max_files,
                                              const char * const *options);
/* Waits until the headless service's log says it serves on port (0: on any port) and
 * returns that port; fails when *exited (unless exited is NULL) becomes TRUE first or
 * after timeout_ms, naming the log. */
guint    test_util_headless_wait_serving (const char     *log_path,
                                          guint           port,
                                          const gboolean *exited,
                                          guint           timeout_ms);

/* --- Ready-made certificates (tests/util/certs, README.md there) -------------------- */

#define TEST_UTIL_PHONE_MAC_1 "00:1A:E8:12:34:56"
#define TEST_UTIL_PHONE_MAC_2 "00:1A:E8:AB:CD:EF"
#define TEST_UTIL_PHONE_MAC_3 "00:1A:E8:00:10:01"

/* A file of the ready-made PKI, e.g. "ca.crt" (the path is inside the source tree). */
char            *test_util_cert_path               (const char  *name);
/* The test CA, server and phone certificates, each with its private key. */
GTlsCertificate *test_util_server_certificate      (void);
GTlsCertificate *test_util_phone_certificate       (const char  *mac);
/* Puts the ready-made CA and server certificate into data_dir/pki in the layout of
 * protocol/service/wpi-pki.h, so that a WpiService opened there loads them instead of
 * generating keys (it re-signs the server certificate, with the same key, when the
 * host has other names). Call before the service or WpiPki opens the directory. */
void             test_util_install_pki             (const char  *data_dir);
/* The same into a WpiPki directory itself (what data_dir/pki is for a service). */
void             test_util_install_pki_directory   (const char  *pki_dir);
/* Adds the ready-made client certificate of mac (one of TEST_UTIL_PHONE_MAC_*) to a
 * PKI directory, as if the CA had issued it: clients/MAC12/current.pem and SERIAL.crt. */
void             test_util_install_phone_certificate (const char *pki_dir,
                                                     const char *mac);

G_END_DECLS
