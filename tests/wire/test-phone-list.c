/* test-phone-list.c: the phone list import format (wpi-phone-list-csv.h, D24): the
 * forms spreadsheets write, every problem with its line and column, the export that
 * imports back */
#include "config.h"

#include <string.h>

#include "wpi-phone-list-csv.h"

static WpiPhoneList *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  WpiPhoneList *list = wpi_phone_list_parse (text, strlen (text), wpi_catalogue_get_default (), &error);

  g_assert_no_error (error);
  g_assert_nonnull (list);
  return list;
}

static const char *
item_value (const WpiPhoneListRow *row,
            const char            *name,
            gint64                 index)
{
  for (guint i = 0; i < row->items->len; i++)
    {
      const WpiPhoneListItem *item = &g_array_index (row->items, WpiPhoneListItem, i);

      if (strcmp (item->name, name) == 0 && (index < 0 ? !item->has_index : item->index == index))
        return item->value;
    }
  return NULL;
}

/* The same two phones, written as different tools write them */
static void
test_phone_list_forms (void)
{
  static const char *const forms[] = {
    "mac,number,location,sip-user-id,sip-pwd,display-id-unicode,line-sip-user-id[2]\n"
    "00:1a:e8:00:00:01,3001,Room 1,3001,secret1,Anna,4001\n"
    "001AE8000002,3002,\"Room 2, north\",3002,secret2,Ben,\n",
    /* Excel in a German locale: BOM, semicolons, CRLF, quotes, headers in capitals */
    "\xEF\xBB\xBFMAC;Number;LOCATION;SIP-User-ID;sip-PWD;Display-Id-Unicode;Line-SIP-User-ID[2]\r\n"
    "\"00-1A-E8-00-00-01\";3001;Room 1;3001;secret1;Anna;4001\r\n"
    "\r\n"
    "00:1A:E8:00:00:02;3002;\"Room 2, north\";3002;secret2;\"Ben\";\r\n",
    /* tabs, columns in another order, a trailing line without its end */
    "location\tmac\tdisplay-id-unicode\tsip-pwd\tsip-user-id\tnumber\tline-sip-user-id[2]\n"
    "Room 1\t00:1A:E8:00:00:01\tAnna\tsecret1\t3001\t3001\t4001\n"
    "Room 2, north\t00:1A:E8:00:00:02\tBen\tsecret2\t3002\t3002\t",
  };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autoptr(WpiPhoneList) list = parse (forms[i]);
      const WpiPhoneListRow *first, *second;

      g_test_message ("form %u", i);
      g_assert_cmpuint (list->problems->len, ==, 0);
      g_assert_cmpuint (list->rows->len, ==, 2);
      first = g_ptr_array_index (list->rows, 0);
      second = g_ptr_array_index (list->rows, 1);
      g_assert_cmpstr (first->mac, ==, "00:1A:E8:00:00:01");
      g_assert_cmpstr (second->mac, ==, "00:1A:E8:00:00:02");
      g_assert_cmpstr (first->e164, ==, "3001");
      g_assert_cmpstr (second->location, ==, "Room 2, north");
      g_assert_null (first->profile);
      g_assert_cmpstr (item_value (first, "sip-user-id", -1), ==, "3001");
      g_assert_cmpstr (item_value (second, "sip-pwd", -1), ==, "secret2");
      g_assert_cmpstr (item_value (second, "display-id-unicode", -1), ==, "Ben");
      g_assert_cmpstr (item_value (first, "line-sip-user-id", 2), ==, "4001");
      /* an empty cell is not given: the import leaves the value as it is */
      g_assert_null (item_value (second, "line-sip-user-id", 2));
      g_assert_cmpuint (second->items->len, ==, 3);
    }
}

static void test_phone_list_all_problems (void);

/* Every problem is found (not only the first), named by line and column */
static void
test_phone_list_problems (void)
{
  /* where the (last) problem is, in the file text, and what it says */
  static const struct {
    guint       line;
    guint       column;
    const char *text;
    const char *says;
  } cases[] = {
    { 1, 0, "number,location\n3001,Room 1\n", "no “mac” column" },
    { 1, 0, "", "empty" },
    { 1, 2, "mac,colour\n00:1A:E8:00:00:01,red\n", "neither a column" },
    { 1, 2, "mac,line-sip-user-id[x]\n00:1A:E8:00:00:01,1\n", "not a number" },
    { 1, 3, "mac,number,Number\n00:1A:E8:00:00:01,1,1\n", "same column as column 2" },
    { 3, 1, "mac\n00:1A:E8:00:00:01\nnot-a-mac\n", "not a MAC address" },
    { 4, 1, "mac\n00:1A:E8:00:00:01\n\n001ae8000001\n", "on line 2 already" },
    { 2, 2, "mac,sip-transport-user\n00:1A:E8:00:00:01,7\n", "sip-transport-user" },
    { 3, 2, "mac,e164\n00:1A:E8:00:00:01,3001\n00:1A:E8:00:00:02,\"30\x01\"\n", "e164" },
    { 2, 2, "mac,line-sip-user-id\n00:1A:E8:00:00:01,3001\n", "needs an index" },
    { 2, 2, "mac,sip-user-id[3]\n00:1A:E8:00:00:01,3001\n", "takes no index" },
    { 2, 2, "mac,software-version\n00:1A:E8:00:00:01,V3 R1.41.1\n", "read-only" },
    { 2, 0, "mac,location\n00:1A:E8:00:00:01,\"Room\n1\n", "not closed" },
    { 2, 3, "mac,location\n00:1A:E8:00:00:01,Room 1,extra\n", "has 3 fields" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WpiPhoneList) list = parse (cases[i].text);
      const WpiPhoneListProblem *problem;

      g_test_message ("case %u: %s", i, cases[i].says);
      g_assert_cmpuint (list->problems->len, >=, 1);
      problem = g_ptr_array_index (list->problems, list->problems->len - 1);
      g_assert_cmpuint (problem->line, ==, cases[i].line);
      g_assert_cmpuint (problem->column, ==, cases[i].column);
      g_assert_nonnull (strstr (problem->message, cases[i].says));
      g_assert_true (g_str_has_prefix (problem->message, "line "));
    }
  test_phone_list_all_problems ();
}

/* Problems in several rows are all listed, and a secret in a bad cell is not shown */
static void
test_phone_list_all_problems (void)
{
  g_autoptr(WpiPhoneList) list = parse ("mac,sip-pwd,sip-transport-user\n"
                                        "bad,hunter2,9\n"
                                        "00:1A:E8:00:00:02,hunter2,0\n"
                                        "00:1A:E8:00:00:03,hunter2,x\n");
  g_autofree char *text = wpi_phone_list_describe_problems (list, 2);

  g_assert_cmpuint (list->problems->len, ==, 3);
  g_assert_cmpuint (list->rows->len, ==, 1);
  g_assert_null (strstr (text, "hunter2"));
  g_assert_nonnull (strstr (text, "line 2, column 1 (mac)"));
  g_assert_nonnull (strstr (text, "line 2, column 3 (sip-transport-user)"));
  g_assert_nonnull (strstr (text, "1 more problem"));
}

/* An export reads back to the same rows; its informational columns are no items */
static void
test_phone_list_export_round_trip (void)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_phone_list_row_free);
  WpiPhoneListRow *row = wpi_phone_list_row_new ("00:1A:E8:00:00:01");
  g_autoptr(WpiPhoneList) list = NULL;
  g_autofree char *csv = NULL;
  const WpiPhoneListRow *read;

  row->e164 = g_strdup ("3001");
  row->location = g_strdup ("Room \"A\", 1");
  row->state = g_strdup ("idle");
  row->mode = g_strdup ("secure");
  row->firmware = g_strdup ("V3 R1.41.1");
  wpi_phone_list_row_add_item (row, "display-id-unicode", FALSE, 0, "Anna");
  wpi_phone_list_row_add_item (row, "line-sip-user-id", TRUE, 2, "4001");
  g_ptr_array_add (rows, row);
  g_ptr_array_add (rows, wpi_phone_list_row_new ("00:1A:E8:00:00:02"));

  csv = wpi_phone_list_to_csv (rows);
  g_assert_true (g_str_has_prefix (csv, "mac,number,location,profile,state,mode,firmware,model,"
                                        "display-id-unicode,line-sip-user-id[2]\r\n"));
  list = parse (csv);
  g_assert_cmpuint (list->problems->len, ==, 0);
  g_assert_cmpuint (list->rows->len, ==, 2);
  read = g_ptr_array_index (list->rows, 0);
  g_assert_cmpstr (read->location, ==, "Room \"A\", 1");
  g_assert_cmpstr (read->firmware, ==, "V3 R1.41.1");
  g_assert_cmpuint (read->items->len, ==, 2);
  g_assert_cmpstr (item_value (read, "line-sip-user-id", 2), ==, "4001");
  read = g_ptr_array_index (list->rows, 1);
  g_assert_null (read->e164);
  g_assert_cmpuint (read->items->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/phone-list/forms", test_phone_list_forms);
  /* each problem on its own, then several in one file */
  g_test_add_func ("/phone-list/problems", test_phone_list_problems);
  g_test_add_func ("/phone-list/export-round-trip", test_phone_list_export_round_trip);

  return g_test_run ();
}
