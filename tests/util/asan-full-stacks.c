/* asan-full-stacks.c: AddressSanitizer defaults for tests whose leak reports need a full stack
 *
 * (linked into the widget tests and test-keep-alive).
 *
 * A widget test process makes more than 2047 quarks (GTK's CSS, the views, the service),
 * and GLib then drops its first quark table on purpose. GLib has no frame pointers, so
 * only a slow unwind shows that the block came from a library constructor (suppressed in
 * lsan.supp) rather than from the console's code; the slow unwind also gives every other
 * leak report a full stack.
 */
#ifdef __SANITIZE_ADDRESS__
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}
#endif
