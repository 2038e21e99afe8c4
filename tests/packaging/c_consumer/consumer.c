/* Built against an installed mmapkit: maps anonymous memory, writes through
 * the view, reads back through the fault-safe copy. */
#include <mmapkit.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  mmk_file *file = NULL;
  mmk_view *view = NULL;
  char back[6] = {0};
  int r = mmk_anon_create(4096, &file);
  if (r == 0) r = mmk_map(file, 100, 5, 0, &view);
  if (r == 0) {
    memcpy(mmk_view_data(view), "hello", 5);
    r = mmk_view_read(view, 0, back, 5);
  }
  if (r != 0) {
    fprintf(stderr, "consumer: %s (%s)\n", mmk_last_error_message(), mmk_err_name(r));
    return 1;
  }
  mmk_view_close(view);
  mmk_file_close(file);
  printf("mmapkit %s: read back '%s'\n", mmk_version(), back);
  return strcmp(back, "hello") != 0;
}
