#!/usr/bin/python3
"""End-to-end test of the console through its accessibility tree (issue 5 §6).

Starts the real `workpoint-console --demo 20` on a private data directory and free ports
on 127.0.0.1, and then, through AT-SPI only (pyatspi: roles, names, actions, text):
finds the 20 phones in the phone list, waits for one of them to be busy, generates the
PIN handout, opens the traffic inspector and finds messages, types a display filter and
sees the list shrink, follows a phone's message's flow and sees both sides (D28), and
saves a screenshot of each view. With a job pending (the restart of a phone that called
from wpi-sim and went off the network), closing the window asks first and Cancel keeps
window and service (D31). Closing the window (Stop Service) must end the console cleanly.

Run under tests/run-with-display.sh (Xvfb and a private D-Bus session; the session bus
starts the AT-SPI bus on demand):

    tests/run-with-display.sh /usr/bin/python3 tests/test-e2e.py \
        --console _build/app/workpoint-console --schema-dir _build/data \
        --screenshot-dir _build/tests/e2e-screenshots

Output is TAP. Nothing waits for a fixed time: every step polls its condition until a
deadline (WPC_E2E_TIMEOUT seconds, 240 by default: under AddressSanitizer the
demo's first minute or two keeps the console too busy to answer quickly).
"""

import argparse
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

N_PHONES = 20
MAC_PATTERN = re.compile(r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$")
FILTER = "reason == start-up"
FILTERED_REASON = "start-up"
REASON_COLUMN = 5  # No., time, phone, direction, port/mode, reason or action
POLL_INTERVAL = 0.2
# How long one AT-SPI call may wait for the console's answer. libatspi's own 800 ms fails a
# query ("Did not receive a reply") that the sanitized console answers a second or two
# late; a step that polls would retry it, every other call would end the test.
CALL_TIMEOUT_MS = 30000

try:
    import pyatspi
except ImportError as error:
    print(f"1..0 # SKIP pyatspi is missing ({error}); install python3-pyatspi")
    sys.exit(0)
pyatspi.setTimeout(CALL_TIMEOUT_MS, -1)


class StepFailed(Exception):
    pass


class Tap:
    def __init__(self):
        self.number = 0
        self.start = time.monotonic()

    def ok(self, description):
        self.number += 1
        print(f"ok {self.number} - {description} ({time.monotonic() - self.start:.1f} s)", flush=True)

    def comment(self, text):
        for line in str(text).splitlines():
            print(f"# {line}", flush=True)

    def not_ok(self, description):
        self.number += 1
        print(f"not ok {self.number} - {description}", flush=True)

    def plan(self):
        print(f"1..{self.number}", flush=True)


def wait_for(what, condition, timeout):
    """Polls condition() until it returns something true; returns that or fails."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        started = time.monotonic()
        try:
            result = condition()
            if result:
                return result
        except Exception as error:  # objects come and go while the console updates
            last_error = error
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise StepFailed(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        # Every query is a D-Bus call that the console answers from its main loop: a
        # slow console (sanitizers) gets at least as much time between polls as one took.
        time.sleep(max(POLL_INTERVAL, time.monotonic() - started))


# The accessibility tree -------------------------------------------------------------

def children(accessible):
    try:
        return [child for child in accessible if child is not None]
    except Exception:
        return []


def role(accessible):
    try:
        return accessible.getRole()
    except Exception:
        return None


def name(accessible):
    try:
        return accessible.name or ""
    except Exception:
        return ""


# The rows of lists and tables hold most of the tree (thousands of accessibles with the
# inspector's messages); searches for controls do not go into them.
ROWS_ROLES = {pyatspi.ROLE_TREE_TABLE, pyatspi.ROLE_TABLE, pyatspi.ROLE_LIST, pyatspi.ROLE_TREE,
              pyatspi.ROLE_TABLE_ROW, pyatspi.ROLE_LIST_ITEM}


def descendants(accessible):
    """Depth first, with each one's role; does not descend into lists and tables."""
    for child in children(accessible):
        child_role = role(child)
        yield child, child_role
        if child_role not in ROWS_ROLES:
            yield from descendants(child)


def find(root, wanted_role, wanted_name=None, match=None):
    for accessible, accessible_role in descendants(root):
        if accessible_role != wanted_role:
            continue
        if wanted_name is not None and name(accessible) != wanted_name:
            continue
        if match is not None and not match(name(accessible)):
            continue
        return accessible
    return None


def first_label(accessible, depth=3):
    """The name of the first label in a table cell (a label, or a box around one)."""
    for child in children(accessible):
        if role(child) == pyatspi.ROLE_LABEL:
            return name(child)
        if depth > 0:
            found = first_label(child, depth - 1)
            if found is not None:
                return found
    return None


def has_state(accessible, state):
    return accessible.getState().contains(state)


def click(accessible):
    action = accessible.queryAction()
    for i in range(action.nActions):
        if action.getName(i) in ("click", "press", "activate"):
            if not action.doAction(i):
                raise StepFailed(f"“{name(accessible)}” refused its {action.getName(i)} action")
            return
    raise StepFailed(f"“{name(accessible)}” ({accessible.getRoleName()}) has no click action")


def find_soon(root, roles, wanted_name, what, timeout):
    """Waits for a control to be in the tree: a busy console (sanitizers) rebuilds parts of
    its tree while a search walks it, and one walk can miss what is there."""
    if not isinstance(roles, tuple):
        roles = (roles,)

    def found():
        for wanted_role in roles:
            accessible = find(root, wanted_role, wanted_name)
            if accessible is not None:
                return accessible
        return None
    return wait_for(what, found, timeout)


def view_and_table(frame, title, table_name):
    """The view's page (named title: a GtkStack page's panel, or under libadwaita the view
    itself) and its table named table_name, or None."""
    for page, page_role in descendants(frame):
        if page_role in (pyatspi.ROLE_PANEL, pyatspi.ROLE_FILLER) and name(page) == title:
            table = find(page, pyatspi.ROLE_TREE_TABLE, table_name)
            if table is not None:
                return page, table
    return None


def view_tab(frame, title):
    """A view's tab: libadwaita's view switchers (the header bar's, and the bar at the
    bottom for a narrow window) each have a page tab per view, named by its title; any of
    them shows the view."""
    return find(frame, pyatspi.ROLE_PAGE_TAB, title)


def tab_selected(tab):
    return any(has_state(tab, state) for state in (pyatspi.STATE_CHECKED, pyatspi.STATE_PRESSED,
                                                   pyatspi.STATE_SELECTED))


def open_view(frame, tab, title, table_name, what, timeout):
    """Clicks a view's tab, waits until it is selected and the view shows its table named
    table_name; returns the view's page and that table."""
    click(tab)
    wait_for(f"the {title} tab to be selected", lambda: tab_selected(tab), timeout)
    return wait_for(f"{what} (a table named “{table_name}” in the view “{title}”)",
                    lambda: view_and_table(frame, title, table_name), timeout)


def text_of(accessible):
    text = accessible.queryText()
    # GTK 4.8 answers GetText (0, -1) with nothing: ask for the characters it has.
    return text.getText(0, text.characterCount)


def row_list(table):
    """The list of rows inside a GtkColumnView (tree table > list > table rows)."""
    lists = [child for child in children(table) if role(child) == pyatspi.ROLE_LIST]
    return lists[0] if lists else None


def table_rows(table, columns):
    """The rows of a GtkColumnView, each as the list of the texts in the given columns."""
    rows = []
    rows_list = row_list(table)
    for row in children(rows_list) if rows_list else []:
        if role(row) != pyatspi.ROLE_TABLE_ROW:
            continue
        cells = children(row)
        rows.append([first_label(cells[column]) or "" if column < len(cells) else ""
                     for column in columns])
    return rows


def column_index(table, title, fallback):
    """The index among a GtkColumnView row's cells of the column titled title: the view
    hides columns for want of width (issue 12 §4), and a hidden column has no cells. The
    fallback is its place with every column shown, for a tree that names no header."""
    headers = []

    def collect(accessible, depth):
        for child in children(accessible):
            child_role = role(child)
            # GTK 4.8 has a column's title as a filler named after its class
            if child_role == pyatspi.ROLE_COLUMN_HEADER or name(child) == "GtkColumnViewTitle":
                headers.append(first_label(child) or name(child))
            elif child_role != pyatspi.ROLE_LIST and depth > 0:
                collect(child, depth - 1)
    collect(table, 3)
    if not headers:
        return fallback
    if title not in headers:
        raise StepFailed(f"the column “{title}” is not shown in “{name(table)}” (columns: {headers})")
    return headers.index(title)


def row_count(table):
    rows_list = row_list(table)
    return rows_list.childCount if rows_list else 0


def select_only_row(table, index):
    """Selects the index-th row, and no other, through the list's AT-SPI Selection."""
    rows = row_list(table)
    if rows is None:
        raise StepFailed(f"“{name(table)}” has no rows to select")
    selection = rows.querySelection()
    if selection.isChildSelected(index) and selection.nSelectedChildren == 1:
        return
    selection.clearSelection()
    if not selection.selectChild(index):
        raise StepFailed(f"row {index} of “{name(table)}” cannot be selected")


# Follow Flow (D28) ------------------------------------------------------------------

DIRECTION_COLUMN = 3
PHONE_TO_CONSOLE = "→ In"
CONSOLE_TO_PHONE = "← Out"


def follow_flow_from_phone(traffic_page, message_table, tap, timeout):
    """Selects a message the phone sent, follows its flow, and expects the whole exchange:
    the phone's messages and the console's, told apart in the Direction column."""
    rows = table_rows(message_table, [DIRECTION_COLUMN, REASON_COLUMN])
    phone_rows = [index for index, row in enumerate(rows) if row[0] == PHONE_TO_CONSOLE]
    if not phone_rows:
        raise StepFailed(f"no message from a phone (“{PHONE_TO_CONSOLE}”) to follow: {rows[:5]}")
    select_only_row(message_table, phone_rows[0])
    follow = find_soon(traffic_page, pyatspi.ROLE_PUSH_BUTTON, "Follow Flow",
                       "the inspector's Follow Flow button", timeout)
    wait_for("Follow Flow to be enabled on the phone's message",
             lambda: has_state(follow, pyatspi.STATE_SENSITIVE), timeout)
    click(follow)
    entry = find_soon(traffic_page, (pyatspi.ROLE_TEXT, pyatspi.ROLE_ENTRY), "Display filter",
                      "the inspector's text field “Display filter”", timeout)
    flow = wait_for("the display filter to follow a flow (“flow == …”)",
                    lambda: text_of(entry).startswith("flow == ") and text_of(entry), timeout)

    def both_sides():
        shown = table_rows(message_table, [DIRECTION_COLUMN, REASON_COLUMN])
        directions = {row[0] for row in shown}
        if directions != {PHONE_TO_CONSOLE, CONSOLE_TO_PHONE}:
            return None
        return shown
    shown = wait_for(f"the flow's messages from both sides ({PHONE_TO_CONSOLE}, {CONSOLE_TO_PHONE})",
                     both_sides, timeout)
    tap.ok(f"following “{flow}” from the phone's message shows both sides: "
           + ", ".join(f"{direction} {reason}" for direction, reason in shown))


# The console ------------------------------------------------------------------------

def free_ports(count):
    """Ports the kernel hands out now on 127.0.0.1; held together so they differ."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def console_environment(tmp, schema_dir):
    env = dict(os.environ)
    # The console must talk to the AT-SPI bus; the other ui tests turn the bridge off.
    for variable in ("NO_AT_BRIDGE", "GTK_A11Y", "LANGUAGE"):
        env.pop(variable, None)
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = os.path.join(tmp, variable.lower())
        os.makedirs(path, exist_ok=True)
        env[variable] = path
    env.update({
        "HOME": tmp,
        # Untranslated strings, whatever the machine's locale
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "GSETTINGS_BACKEND": "memory",
        "GSETTINGS_SCHEMA_DIR": schema_dir,
    })
    # Under AddressSanitizer: the slow unwind lets lsan.supp recognise GLib's first quark
    # table, dropped on purpose, as a library constructor's (see ui-test-asan.c).
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "fast_unwind_on_malloc=0"]))
    # No crossfade between the views: a screenshot right after a switch shows one view.
    settings_dir = os.path.join(env["XDG_CONFIG_HOME"], "gtk-4.0")
    os.makedirs(settings_dir, exist_ok=True)
    with open(os.path.join(settings_dir, "settings.ini"), "w") as settings:
        settings.write("[Settings]\ngtk-enable-animations=false\n")
    return env


def find_application(process):
    def application():
        if process.poll() is not None:
            raise StepFailed(f"the console exited with status {process.returncode}")
        desktop = pyatspi.Registry.getDesktop(0)
        for app in children(desktop):
            try:
                if app.get_process_id() != process.pid:
                    continue
            except Exception:
                continue
            frames = [child for child in children(app) if role(child) == pyatspi.ROLE_FRAME]
            if frames:
                return app, frames[0]
        return None
    return application


def screenshot(frame, path, previous):
    """Saves the window's area of the screen as PNG. The file must differ from the
    previous view's screenshot, so a capture taken before the switch was painted is
    taken again."""
    # Waited for: a console busy under the sanitizers may leave one query unanswered past
    # D-Bus's timeout (CI: right after the PIN handout's Generate)
    x, y, width, height = wait_for("the window's extents",
                                   lambda: frame.queryComponent().getExtents(pyatspi.DESKTOP_COORDS), 120)
    if width <= 0 or height <= 0:
        raise StepFailed(f"the window reports no size ({width}×{height})")

    def capture():
        subprocess.run(["import", "-window", "root",
                        "-crop", f"{width}x{height}+{max(x, 0)}+{max(y, 0)}", "+repage",
                        path], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(path, "rb") as png:
            data = png.read()
        if not data.startswith(b"\x89PNG"):
            raise StepFailed(f"{path} is not a PNG")
        return data != previous and data

    return wait_for(f"a screenshot that differs from the previous view ({path})", capture, 30)


def launch_console(args, tap, tmp, options):
    """The console with options on a private data directory in tmp and free ports on
    127.0.0.1, its output in tmp/console.log; returns the process, the log and its path."""
    port, secure_port = free_ports(2)
    log_path = os.path.join(tmp, "console.log")
    command = [args.console] + options + ["--data-dir", os.path.join(tmp, "store"), "--bind", "127.0.0.1",
                                          "--port", str(port), "--secure-port", str(secure_port)]
    tap.comment(" ".join(command))
    log = open(log_path, "w")
    process = subprocess.Popen(command, env=console_environment(tmp, args.schema_dir),
                               stdout=log, stderr=subprocess.STDOUT)
    return process, log, log_path


def stop_process(process):
    """Ends a child process if it still runs: SIGTERM, SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def end_console(process, log, log_path, tmp, tap, failed):
    """Ends the console if it still runs, shows its output after a failure, removes tmp."""
    stop_process(process)
    log.close()
    if failed:
        tap.comment("console output:")
        with open(log_path, errors="replace") as output:
            tap.comment(output.read()[-20000:])
    subprocess.run(["rm", "-rf", tmp])
# Find Phones by Sweep (issue 14 §2, D25) ------------------------------------------------

IP_COLUMN = 6  # state, MAC, number, model, location, firmware, IP


def sweep_steps(app, phones_page, phone_table, tap, timeout):
    """From the Phones view's menu: a public range is refused as typed; a sweep of the demo
    phones' loopback range has every one of them answer and call the console again."""
    ips = sorted({row[0] for row in table_rows(phone_table, [column_index(phone_table, "IP Address", IP_COLUMN)])
                  if re.match(r"^127\.\d+\.\d+\.\d+$", row[0])}, key=ipaddress.ip_address)
    if len(ips) != N_PHONES:
        raise StepFailed(f"the phone list shows {len(ips)} loopback addresses, not {N_PHONES}")
    more = find_soon(phones_page, (pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_PUSH_BUTTON), "More actions",
                     "the Phones view's “More actions” button", timeout)
    # GTK 4.8 puts the action on the menu button's inner toggle button
    inner = [a for a, r in descendants(more) if r in (pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_PUSH_BUTTON)]
    click(inner[0] if inner else more)
    item = wait_for("the menu item “Find Phones by Sweep…”",
                    lambda: find(app, pyatspi.ROLE_MENU_ITEM, "Find Phones by Sweep…"), timeout)
    click(item)
    dialog = wait_for("the “Find Phones by Sweep” window",
                      lambda: find(app, pyatspi.ROLE_FRAME, "Find Phones by Sweep"), timeout)
    entry = find_soon(dialog, (pyatspi.ROLE_TEXT, pyatspi.ROLE_ENTRY), "Range",
                      "the sweep window's “Range” field", timeout)
    start = find_soon(dialog, pyatspi.ROLE_PUSH_BUTTON, "Start Sweep",
                      "the sweep window's “Start Sweep” button", timeout)

    entry.queryEditableText().setTextContents("8.8.8.0/30")
    wait_for("the public range 8.8.8.0/30 to be refused as typed",
             lambda: find(dialog, pyatspi.ROLE_LABEL, match=lambda n: "public addresses" in n), timeout)
    if has_state(start, pyatspi.STATE_SENSITIVE):
        raise StepFailed("Start Sweep is enabled for a public range")
    tap.ok("the sweep refuses the public range 8.8.8.0/30 as it is typed")

    entry.queryEditableText().setTextContents(f"{ips[0]}-{ips[-1]}")
    wait_for("Start Sweep to be enabled", lambda: has_state(start, pyatspi.STATE_SENSITIVE), timeout)
    click(start)
    # Every address gets its result and phones call again. Not necessarily all of them:
    # under a sanitizer a phone's solicited flow may fail (a handshake too slow), and a
    # phone does not repeat one; test-sweep and test-ui-sweep-dialog check each address.
    summary_pattern = re.compile(r"^Answered: (\d+) · Refused: (\d+) · No answer: (\d+) · Phones registered: (\d+)$")
    last_summary = []

    def swept():
        label = find(dialog, pyatspi.ROLE_LABEL, match=summary_pattern.match)
        if label is None:
            return None
        last_summary[:] = [name(label)]
        answered, refused, no_answer, registered = (int(n) for n in summary_pattern.match(name(label)).groups())
        return answered + refused + no_answer == N_PHONES and answered > 0 and registered > 0 and name(label)
    try:
        summary = wait_for("every address swept and phones calling again", swept, timeout)
    except StepFailed as error:
        raise StepFailed(f"{error}; the sweep said: {last_summary[0] if last_summary else 'nothing'}")
    tap.ok(f"a sweep of {ips[0]}-{ips[-1]} reaches the demo's phones and they call again ({summary})")

    close = find_soon(dialog, pyatspi.ROLE_PUSH_BUTTON, "Close", "the sweep window's Close button", timeout)
    click(close)
    wait_for("the sweep window to close",
             lambda: find(app, pyatspi.ROLE_FRAME, "Find Phones by Sweep") is None, timeout)


ESCAPE = 0xff1b   # the X keysym


def press_key(keysym):
    pyatspi.Registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)


def write_dialog_escape_steps(app, phones_page, tap, timeout):
    """Issue 12 §3: Escape in the Write Items dialog never loses what was typed. The
    first Escape closes the name's suggestion list, the second (with text typed) asks
    before discarding: that question proves the keys arrived; Cancel keeps it all."""
    typed = "transport"
    button = find_soon(phones_page, pyatspi.ROLE_PUSH_BUTTON, "Write Items…",
                       "the Phones view's “Write Items…” button", timeout)
    wait_for("“Write Items…” to be enabled", lambda: has_state(button, pyatspi.STATE_SENSITIVE), timeout)
    click(button)

    # An AdwWindow, read by its title whatever its role
    def window_named(title):
        return next((window for window in children(app) if name(window) == title), None)
    dialog = wait_for("the “Write Items” window", lambda: window_named("Write Items"), timeout)

    # Its fields are in the rows of a list, which find() does not enter; the dialog is small
    def item_name_field(accessible=dialog):
        for child in children(accessible):
            if role(child) in (pyatspi.ROLE_TEXT, pyatspi.ROLE_ENTRY) and name(child) == "Item name":
                return child
            found = item_name_field(child)
            if found is not None:
                return found
        return None
    entry = wait_for("the Write Items dialog's “Item name” field", item_name_field, timeout)
    tap.ok("the Write Items dialog opens with its “Item name” field")

    # The keys go where the focus is: in the first field, where the dialog puts it (GTK 4.8
    # has no AT-SPI grabFocus)
    if not entry.queryEditableText().setTextContents(typed):
        raise StepFailed("the item name field did not take the text")
    wait_for(f"the item name to read “{typed}”", lambda: text_of(entry) == typed, timeout)

    # The question (an AdwMessageDialog) is a window of its own, without a title
    def question_window():
        return next((window for window in children(app)
                     if find(window, pyatspi.ROLE_LABEL, "Discard Typed Items?")), None)

    # Escape closes the suggestion list if it opened; with none open, Escape asks, as text
    # was typed
    press_key(ESCAPE)
    try:
        question = wait_for("the question after one Escape", question_window, min(timeout, 5))
    except StepFailed:
        press_key(ESCAPE)
        question = wait_for("the question “Discard Typed Items?” after Escape", question_window, timeout)
    if window_named("Write Items") is None or text_of(entry) != typed:
        raise StepFailed(f"after Escape the dialog is gone or its text changed: “{text_of(entry)}”")
    # GTK 4.8 may name a mnemonic button "_Cancel Cancel"
    click(wait_for("the question's Cancel button",
                   lambda: find(question, pyatspi.ROLE_PUSH_BUTTON, match=lambda n: "Cancel" in n), timeout))
    wait_for("the question to close", lambda: question_window() is None, timeout)
    if text_of(entry) != typed:
        raise StepFailed(f"the typed item name changed to “{text_of(entry)}”")
    tap.ok(f"Escape keeps the Write Items dialog and the typed “{typed}” (it asks before discarding)")

    close = find_soon(dialog, pyatspi.ROLE_PUSH_BUTTON, "Cancel", "the Write Items dialog's Cancel button", timeout)
    click(close)
    wait_for("the Write Items dialog to close", lambda: window_named("Write Items") is None, timeout)


def phones_safety_steps(app, phones_page, phone_table, tap, timeout):
    """Issue 12 §1, §2: a restart of several phones asks first, naming how many, and Cancel
    restarts nothing; a search that matches no phone shows “No Phones Match”, and Clear
    Search brings the phones back."""
    rows = row_list(phone_table)
    selection = rows.querySelection()
    selection.clearSelection()
    for index in range(3):
        if not selection.selectChild(index):
            raise StepFailed(f"row {index} of the phone list cannot be selected")
    wait_for("three phones selected", lambda: selection.nSelectedChildren == 3, timeout)
    restart = find_soon(phones_page, pyatspi.ROLE_PUSH_BUTTON, "Restart", "the Phones view's Restart button",
                        timeout)
    wait_for("Restart to be enabled", lambda: has_state(restart, pyatspi.STATE_SENSITIVE), timeout)
    click(restart)
    heading = "Restart 3 Phones?"

    def confirmation():
        for window in children(app):
            if find(window, pyatspi.ROLE_LABEL, heading) is not None:
                return window
        return None
    dialog = wait_for(f"the confirmation “{heading}”", confirmation, timeout)
    tap.ok(f"restarting three phones asks first: “{heading}”")
    # AdwMessageDialog has its buttons twice (side by side first, then stacked for a
    # narrow dialog); GTK 4.8 names each “_Cancel Cancel”: the first whose label is Cancel
    def cancel_button():
        for accessible, accessible_role in descendants(dialog):
            if accessible_role == pyatspi.ROLE_PUSH_BUTTON and first_label(accessible) == "Cancel":
                return accessible
        return None
    click(wait_for("the confirmation's Cancel button", cancel_button, timeout))
    wait_for("the confirmation to close", lambda: confirmation() is None, timeout)
    if find(app, pyatspi.ROLE_LABEL, match=lambda text: text.startswith("Restart queued")) is not None:
        raise StepFailed("Cancel restarted the phones")
    tap.ok("Cancel closes the confirmation and restarts nothing")

    search = find_soon(phones_page, (pyatspi.ROLE_TEXT, pyatspi.ROLE_ENTRY), "Search phones",
                       "the Phones view's search", timeout)
    search.queryEditableText().setTextContents("no-such-phone")
    wait_for("the status page “No Phones Match”",
             lambda: find(phones_page, pyatspi.ROLE_LABEL, "No Phones Match"), timeout)
    tap.ok("a search that matches no phone shows “No Phones Match”")
    clear = find_soon(phones_page, pyatspi.ROLE_PUSH_BUTTON, "Clear Search", "the status page's Clear Search button",
                      timeout)
    wait_for("Clear Search to be enabled", lambda: has_state(clear, pyatspi.STATE_SENSITIVE), timeout)
    try:
        click(clear)
    except StepFailed as error:
        # The click hides the button with the page before GTK answers: the list coming
        # back below is what counts
        tap.comment(str(error))
    wait_for(f"the {N_PHONES} phones back in the list", lambda: row_count(phone_table) == N_PHONES, timeout)
    tap.ok("Clear Search brings every phone back")


# The steps --------------------------------------------------------------------------

def is_on(toggle):
    """A GTK 4.8 toggle button reaches AT-SPI as a push button, pressed or checked when on."""
    return has_state(toggle, pyatspi.STATE_PRESSED) or has_state(toggle, pyatspi.STATE_CHECKED)


def check_inspector_toggles(traffic_page, tap, timeout):
    """Issue 13 part 2: the pause button says its state to a screen reader (its name is
    what a press will do) and auto-scroll is a toggle."""
    pause = find_soon(traffic_page, pyatspi.ROLE_PUSH_BUTTON, "Pause live capture",
                      "the inspector's button “Pause live capture”", timeout)
    click(pause)
    wait_for("the pause button to be named “Resume live capture”",
             lambda: name(pause) == "Resume live capture" and is_on(pause), timeout)
    click(pause)
    wait_for("the pause button to be named “Pause live capture” again",
             lambda: name(pause) == "Pause live capture" and not is_on(pause), timeout)
    scroll = find_soon(traffic_page, pyatspi.ROLE_PUSH_BUTTON, "Scroll to new messages",
                       "the inspector's button “Scroll to new messages”", timeout)
    if not is_on(scroll):
        raise StepFailed("auto-scroll is not on at start")
    click(scroll)
    wait_for("auto-scroll to be off", lambda: not is_on(scroll), timeout)
    click(scroll)
    wait_for("auto-scroll to be on again", lambda: is_on(scroll), timeout)
    tap.ok("the inspector's pause button names its state and auto-scroll toggles")


# Closing with pending work (D31) -------------------------------------------------------

def answer_button(window, label):
    """A button of the question by its label: GTK 4.8 may name a mnemonic label's button
    with the underscore and twice (“_Cancel Cancel”)."""
    return find(window, pyatspi.ROLE_PUSH_BUTTON, match=lambda text: label in text.replace("_", ""))


def close_question(app):
    """The console's question before closing (an AdwMessageDialog: a dialog with the
    “Keep Running in Background” button), or None."""
    for window in children(app):
        if answer_button(window, "Keep Running in Background") is not None:
            return window
    return None


def stop_service_if_asked(app, process, timeout):
    """Closing for good: “Stop Service” if the console asks (work still pending)."""
    def asked_or_gone():
        return process.poll() is not None or close_question(app)
    question = wait_for("the console to exit or ask before closing", asked_or_gone, timeout)
    if question is not True and process.poll() is None:
        click(answer_button(question, "Stop Service"))


# A phone that registered and then went off the network (unplugged): a contact-me for it
# finds nobody, so its jobs wait, retried with the D10 back-off for a quarter of an hour
# before the phone counts as unreachable. Not a demo phone (those answer), and none the
# simulator numbers from its default base.
UNPLUGGED_MAC = "00:1A:E8:00:0F:01"
UNPLUGGED_E164 = "4989700109901"
CLOSE_HEADING = "Keep Provisioning Phones?"
CLOSE_ANSWERS = ("Cancel", "Stop Service", "Keep Running in Background")


def button_labelled(window, label):
    """The first push button of window whose label reads label (GTK 4.8 names a button
    with a mnemonic “_Cancel Cancel”; its label says “Cancel”)."""
    for accessible, accessible_role in descendants(window):
        if accessible_role == pyatspi.ROLE_PUSH_BUTTON and first_label(accessible) == label:
            return accessible
    return None


def label_soon(root, pattern, what, timeout):
    """Waits for a label whose text matches pattern (a regular expression, or a function
    of the text); returns its text."""
    matches = pattern if callable(pattern) else lambda text: re.match(pattern, text)

    def label():
        found = find(root, pyatspi.ROLE_LABEL, match=matches)
        return found is not None and name(found)
    return wait_for(what, label, timeout)


def phone_rows(phone_table):
    """The State, MAC, Number and Pending cells of each row."""
    pending_column = column_index(phone_table, "Pending", JOBS_COLUMN)
    return table_rows(phone_table, [STATE_COLUMN, MAC_COLUMN, NUMBER_COLUMN, pending_column])


def search_phones(phones_page, text, timeout):
    """Types text into the Phones view's search: the list keeps the phones it matches,
    and a phone past the rows shown is one of them."""
    search = find_soon(phones_page, (pyatspi.ROLE_TEXT, pyatspi.ROLE_ENTRY), "Search phones",
                       "the Phones view's search", timeout)
    search.queryEditableText().setTextContents(text)
    wait_for(f"the search to read “{text}”", lambda: text_of(search) == text, timeout)


def phone_found(phone_table, mac):
    """The cells (phone_rows) of the only row, once the search leaves just the phone."""
    rows = phone_rows(phone_table)
    return len(rows) == 1 and rows[0][1] == mac and rows[0]


def select_phone(phones_page, phone_table, mac, e164, timeout):
    """Searches for the phone and selects it until its details (headed by its number)
    show."""
    search_phones(phones_page, mac, timeout)

    def shown():
        if not phone_found(phone_table, mac):
            return False
        select_only_row(phone_table, 0)
        return find(phones_page, pyatspi.ROLE_HEADING, e164) is not None
    wait_for(f"the details of {mac} (a heading “{e164}”)", shown, timeout)


def job_line(phones_page, kind, state, after, timeout):
    """Waits for the selected phone's details to list a job of kind in state numbered
    above after (job numbers only grow); returns its number and line."""
    pattern = re.compile(rf"^#(\d+) {re.escape(kind)} · {re.escape(state)} · ")
    line = label_soon(phones_page, lambda text: (found := pattern.match(text)) and int(found.group(1)) > after,
                      f"a job line “#N {kind} · {state} · …” with N above {after} in the phone's details",
                      timeout)
    return int(pattern.match(line).group(1)), line


def plug_in_then_unplug(args, service_url, phones_page, phone_table, tap, timeout):
    """A simulated phone (wpi-sim) calls the console at service_url and registers, with
    no job left pending (in the list: searched for); then it is switched off."""
    sim = args.sim or os.path.join(os.path.dirname(args.console), "wpi-sim")
    contact_port, = free_ports(1)
    command = [sim, "--phones", "1", "--service", service_url, "--base-mac", UNPLUGGED_MAC,
               "--base-e164", UNPLUGGED_E164, "--contact-port-base", str(contact_port), "--quiet"]
    search_phones(phones_page, UNPLUGGED_MAC, timeout)
    tap.comment(" ".join(command))
    with tempfile.TemporaryFile(mode="w+") as log:
        phone = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            def registered():
                if phone.poll() is not None:
                    raise StepFailed(f"wpi-sim exited with status {phone.returncode}")
                row = phone_found(phone_table, UNPLUGGED_MAC)
                return row and row[0] not in ("", "Expected") and row[3] == "0"
            wait_for(f"{UNPLUGGED_MAC} registered with no job left (wpi-sim)", registered, timeout)
        except StepFailed:
            log.seek(0)
            tap.comment("wpi-sim output:\n" + log.read()[-5000:])
            raise
        finally:
            stop_process(phone)
    tap.ok(f"a phone ({UNPLUGGED_MAC}) registered at {service_url}, then went off the network")


def restart_waits(phones_page, phone_table, tap, timeout):
    """The unplugged phone's restart waits for its contact-me to be answered: nothing can
    answer it, and the service tries again only after the D10 back-off. Returns the job's
    number."""
    select_phone(phones_page, phone_table, UNPLUGGED_MAC, UNPLUGGED_E164, timeout)
    restart = find_soon(phones_page, pyatspi.ROLE_PUSH_BUTTON, "Restart", "the Phones view's Restart button",
                        timeout)
    wait_for("Restart to be enabled", lambda: has_state(restart, pyatspi.STATE_SENSITIVE), timeout)
    click(restart)
    job, line = job_line(phones_page, "Restart", "Contacting the phone", 0, timeout)
    tap.ok(f"the restart of the phone off the network waits: “{line}”")
    return job


def close_then_cancel(app, frame, process, tap, timeout):
    """The window's Close button asks (the question names its three answers); Cancel
    keeps the window."""
    click(find_soon(frame, pyatspi.ROLE_PUSH_BUTTON, "Close", "the window's Close button", timeout))

    def asked():
        if process.poll() is not None:
            raise StepFailed(f"the console exited (status {process.returncode}) instead of asking")
        return close_question(app)
    question = wait_for("the question before closing with work pending", asked, timeout)
    wait_for(f"the question's heading “{CLOSE_HEADING}”",
             lambda: find(question, pyatspi.ROLE_LABEL, CLOSE_HEADING), timeout)
    answers = [button_labelled(question, label) for label in CLOSE_ANSWERS]
    if None in answers:
        labels = [first_label(a) for a, r in descendants(question) if r == pyatspi.ROLE_PUSH_BUTTON]
        raise StepFailed(f"the question lacks an answer of {CLOSE_ANSWERS}: its buttons read {labels}")
    tap.ok(f"closing the window with the restart pending asks “{CLOSE_HEADING}”: {', '.join(CLOSE_ANSWERS)}")

    click(answers[0])
    wait_for("the question to go after Cancel", lambda: close_question(app) is None, timeout)
    if process.poll() is not None or not has_state(frame, pyatspi.STATE_SHOWING):
        raise StepFailed("Cancel did not keep the window")
    tap.ok("Cancel closes the question and keeps the window")


def service_still_runs(frame, phones_page, phone_table, listening, after_job, tap, timeout):
    """After Cancel the service still listens where it did, and a read-all of a demo
    phone with no job pending is done."""
    if label_soon(frame, r"^Listening on ", "the status bar after Cancel", timeout) != listening:
        raise StepFailed(f"after Cancel the status bar no longer reads “{listening}”")
    search_phones(phones_page, "", timeout)

    def demo_phone_without_jobs():
        return next((row for row in phone_rows(phone_table)
                     if MAC_PATTERN.match(row[1]) and row[1] != UNPLUGGED_MAC and row[3] == "0"), None)
    demo = wait_for("a demo phone with no job pending", demo_phone_without_jobs, timeout)
    select_phone(phones_page, phone_table, demo[1], demo[2], timeout)
    click(find_soon(phones_page, pyatspi.ROLE_PUSH_BUTTON, "Read All", "the Phones view's Read All button",
                    timeout))
    _, line = job_line(phones_page, "Read all items", "Done", after_job, timeout)
    search_phones(phones_page, "", timeout)
    tap.ok(f"the service still runs: “{listening}”; a read-all of {demo[1]} is done (“{line}”)")


def close_with_pending_work_steps(args, app, frame, process, tap, timeout):
    """Issue 12 §2, D31: with a job pending, closing the window asks first. The job is a
    restart of a phone that registered and went off the network, which waits for as long
    as this step takes, whatever the demo's phones do. The question offers its three
    answers; Cancel keeps the window and the service (it still listens and provisions).
    The restart still waits at the final close, which the console asks about too."""
    listening = label_soon(frame, r"^Listening on https://", "the status bar's “Listening on https://…”",
                           timeout)
    # The first address is the Default Mode port's, where a phone calls first
    service_url = re.match(r"^Listening on (https://[^/,\s]+)", listening).group(1)
    phones_page, phone_table = open_view(frame, view_tab(frame, "Phones"), "Phones", "Phones", "the phone list",
                                         timeout)
    plug_in_then_unplug(args, service_url, phones_page, phone_table, tap, timeout)
    restart_job = restart_waits(phones_page, phone_table, tap, timeout)
    close_then_cancel(app, frame, process, tap, timeout)
    service_still_runs(frame, phones_page, phone_table, listening, restart_job, tap, timeout)


def run(args, tap, timeout):
    tmp = tempfile.mkdtemp(prefix="wpc-e2e-")
    os.makedirs(args.screenshot_dir, exist_ok=True)
    process, log, log_path = launch_console(args, tap, tmp, ["--demo", str(N_PHONES)])
    failed = False
    try:
        app, frame = wait_for("the console's window in the accessibility tree",
                              find_application(process), timeout)
        tap.ok(f"the console's window “{name(frame)}” is on the AT-SPI bus")

        # Phones ------------------------------------------------------------------
        # The view switcher is in the header bar (libadwaita: inside the window's content)
        header = frame
        phones_tab = wait_for("the Phones view tab", lambda: view_tab(frame, "Phones"), timeout)
        traffic_tab = wait_for("the Traffic view tab", lambda: view_tab(frame, "Traffic"), timeout)
        handout_tab = wait_for("the PIN handout view tab", lambda: view_tab(frame, "PIN handout"), timeout)
        if not tab_selected(phones_tab):
            click(phones_tab)
        phones_page, phone_table = wait_for("the phone list (a table named “Phones”)",
                                            lambda: view_and_table(frame, "Phones", "Phones"), timeout)

        def twenty_phones():
            macs = {row[0] for row in table_rows(phone_table, [1]) if MAC_PATTERN.match(row[0])}
            return len(macs) == N_PHONES and macs
        macs = wait_for(f"{N_PHONES} phones with distinct MACs in the phone list", twenty_phones, timeout)
        tap.ok(f"the phone list shows {len(macs)} phones ({min(macs)} … {max(macs)})")

        def busy_phone():
            for index, row in enumerate(table_rows(phone_table, range(4))):
                if len(row) > 2 and row[0] == "Busy":
                    return index, row
            return None
        index, row = wait_for("a phone whose state reads “Busy”", busy_phone, timeout)
        tap.ok(f"a phone is busy: {' | '.join(row[:4])}")

        # Its details pane is headed by its number. Rows move while phones register and
        # change, so the phone is looked up by its MAC (and selected alone) until it shows.
        def details_shown():
            heading = find(phones_page, pyatspi.ROLE_HEADING, row[2])
            if heading:
                return heading
            for position, current in enumerate(table_rows(phone_table, [1])):
                if current and current[0] == row[1]:
                    select_only_row(phone_table, position)
                    break
            return None
        wait_for(f"the details of {row[1]} (a heading “{row[2]}”)", details_shown, timeout)
        tap.ok(f"selecting {row[1]} shows its details")

        phones_png = screenshot(frame, os.path.join(args.screenshot_dir, "phones.png"), None)
        tap.ok(f"screenshot of the Phones view in {args.screenshot_dir}/phones.png")
        sweep_steps(app, phones_page, phone_table, tap, timeout)
        write_dialog_escape_steps(app, phones_page, tap, timeout)
        phones_safety_steps(app, phones_page, phone_table, tap, timeout)

        # PIN handout -------------------------------------------------------------
        handout_page, pin_table = open_view(frame, handout_tab, "PIN handout", "PINs", "the PIN table", timeout)
        try:
            generate = find_soon(handout_page, pyatspi.ROLE_PUSH_BUTTON, "Generate",
                                 "the PIN handout view's Generate button", timeout)
        except StepFailed as error:
            names = [name(a) for a, r in descendants(handout_page) if r == pyatspi.ROLE_PUSH_BUTTON]
            raise StepFailed(f"{error}; its buttons: {names}")
        wait_for("the Generate button to be enabled",
                 lambda: has_state(generate, pyatspi.STATE_SENSITIVE), timeout)
        click(generate)

        def pins_generated():
            rows = [row for row in table_rows(pin_table, range(4)) if MAC_PATTERN.match(row[0])]
            return len(rows) == N_PHONES and rows
        rows = wait_for(f"PINs for {N_PHONES} phones", pins_generated, timeout)
        tap.ok(f"the PIN handout lists {len(rows)} phones, e.g. {' | '.join(rows[0])}")

        handout_png = screenshot(frame, os.path.join(args.screenshot_dir, "pin-handout.png"), phones_png)
        tap.ok(f"screenshot of the PIN handout view in {args.screenshot_dir}/pin-handout.png")

        # A button is read out by its label: no mnemonic underscore, not twice ("_Generate
        # Generate" is what GTK 4.8 makes of a mnemonic label on its own)
        def badly_named_text(text):
            words = text.split(" ")
            half = len(words) // 2
            return "_" in text or (len(words) % 2 == 0 and half > 0 and words[:half] == words[half:])
        buttons = [(page, name(a)) for page in (phones_page, handout_page)
                   for a, r in descendants(page) if r == pyatspi.ROLE_PUSH_BUTTON]
        bad = [label for _, label in buttons if badly_named_text(label)]
        if bad:
            raise StepFailed(f"buttons named with a mnemonic or twice: {bad}")
        tap.ok(f"{len(buttons)} buttons of the Phones and PIN handout views are named by their labels, "
               f"e.g. {', '.join(label for _, label in buttons[:4])}")

        # Traffic -----------------------------------------------------------------
        traffic_page, message_table = open_view(frame, traffic_tab, "Traffic", "Messages", "the message list",
                                                timeout)
        rows_before = wait_for(f"at least {N_PHONES} messages in the inspector",
                               lambda: row_count(message_table) >= N_PHONES and row_count(message_table),
                               timeout)
        first = table_rows(message_table, range(6))[0]
        tap.ok(f"the inspector lists {rows_before} messages, the first: {' | '.join(first)}")

        def count_label(pattern):
            def find_count():
                label = find(traffic_page, pyatspi.ROLE_LABEL, match=lambda n: re.match(pattern, n))
                return label and re.match(pattern, name(label))
            return find_count

        unfiltered = wait_for("the message count (“N messages”)",
                              count_label(r"^([\d,.\s]+) messages?$"), timeout)
        total_before = int(re.sub(r"\D", "", unfiltered.group(1)))

        entry = find_soon(traffic_page, (pyatspi.ROLE_TEXT, pyatspi.ROLE_ENTRY), "Display filter",
                          "the inspector's text field “Display filter”", timeout)
        if not entry.queryEditableText().setTextContents(FILTER):
            raise StepFailed("the display filter did not take the text")
        wait_for(f"the display filter to read “{FILTER}”", lambda: text_of(entry) == FILTER, timeout)
        apply = find_soon(traffic_page, pyatspi.ROLE_PUSH_BUTTON, "Apply", "the inspector's Apply button",
                          timeout)
        click(apply)

        def shrunk():
            match = count_label(r"^([\d,.\s]+) of ([\d,.\s]+) messages? match")()
            if not match:
                return None
            shown, total = (int(re.sub(r"\D", "", group)) for group in match.groups())
            rows = table_rows(message_table, [REASON_COLUMN])
            # Every row left is one the filter lets through, and fewer than before
            if not (0 < shown < total and 0 < len(rows) <= shown and len(rows) < rows_before):
                return None
            if not all(row[0] == FILTERED_REASON for row in rows):
                return None
            return shown, total, rows
        shown, total, rows = wait_for(f"the message list to shrink to the messages matching “{FILTER}”",
                                      shrunk, timeout)
        tap.ok(f"the filter “{FILTER}” leaves {shown} of {total} messages "
               f"({len(rows)} rows, {rows_before} before; {total_before} messages then)")

        # The first message decoded: its raw XML in the third pane
        select_only_row(message_table, 0)
        raw = find_soon(traffic_page, pyatspi.ROLE_TEXT, "Raw message", "the inspector's “Raw message” text",
                        timeout)
        wait_for("the raw message of the selected message (a WorkpointMessage)",
                 lambda: "<WorkpointMessage" in text_of(raw), timeout)
        tap.ok("selecting a message shows its raw WorkpointMessage")

        screenshot(frame, os.path.join(args.screenshot_dir, "traffic.png"), handout_png)
        tap.ok(f"screenshot of the Traffic view in {args.screenshot_dir}/traffic.png")
        follow_flow_from_phone(traffic_page, message_table, tap, timeout)
        check_inspector_toggles(traffic_page, tap, timeout)
        close_with_pending_work_steps(args, app, frame, process, tap, timeout)

        # Quit --------------------------------------------------------------------
        close = find_soon(header, pyatspi.ROLE_PUSH_BUTTON, "Close", "the window's Close button", timeout)
        click(close)
        stop_service_if_asked(app, process, timeout)
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise StepFailed(f"the console did not exit within {timeout:.0f} s of closing its window")
        if status != 0:
            raise StepFailed(f"the console exited with status {status} after closing its window")
        tap.ok("closing the window ends the console with status 0")
    except StepFailed as error:
        failed = True
        tap.not_ok(str(error))
    except Exception as error:
        failed = True
        tap.not_ok(f"unexpected {type(error).__name__}: {error}")
    finally:
        end_console(process, log, log_path, tmp, tap, failed)
    failed = not import_demo_phones(args, tap, timeout) or failed
    return not failed


# Importing the demo's phones ahead (issue 14 §1, D24) ---------------------------------

DEMO_FIRST_MAC = 0x001AE8000001     # the simulator's scheme (protocol/sim/wpi-simulator.h)
DEMO_FIRST_E164 = 4989700100001
STATE_COLUMN, MAC_COLUMN, NUMBER_COLUMN, JOBS_COLUMN = 0, 1, 2, 9


def demo_phone_list(path):
    """A phone list of the demo's 20 phones as a technician's spreadsheet would hold them:
    Excel's semicolons, a BOM and CRLF; each phone's number, room and display name."""
    with open(path, "w", encoding="utf-8-sig", newline="") as csv:
        csv.write("MAC;Number;Location;display-id-unicode\r\n")
        for i in range(N_PHONES):
            mac = f"{DEMO_FIRST_MAC + i:012X}"
            csv.write(f"{':'.join(mac[j:j + 2] for j in range(0, 12, 2))};{DEMO_FIRST_E164 + i};"
                      f"Room {101 + i};Desk {DEMO_FIRST_E164 + i}\r\n")


def clickable(accessible):
    try:
        action = accessible.queryAction()
    except NotImplementedError:
        return False
    return any(action.getName(i) in ("click", "press", "activate") for i in range(action.nActions))


def frame_named(app, title):
    for child in children(app):
        if role(child) in (pyatspi.ROLE_FRAME, pyatspi.ROLE_DIALOG) and name(child) == title:
            return child
    return None


def import_steps(app, frame, tap, timeout):
    dialog = wait_for("the Import Phone List dialog", lambda: frame_named(app, "Import Phone List"), timeout)
    summary = f"{N_PHONES} phones: {N_PHONES} new, 0 updated, 0 unchanged"
    wait_for(f"the preview “{summary}”", lambda: find(dialog, pyatspi.ROLE_LABEL, summary), timeout)
    tap.ok(f"the Import dialog previews the list: {summary}")
    import_button = find_soon(dialog, pyatspi.ROLE_PUSH_BUTTON, "Import", "the Import dialog's Import button",
                              timeout)
    click(import_button)

    phones_page, phone_table = wait_for("the phone list", lambda: view_and_table(frame, "Phones", "Phones"),
                                        timeout)

    def rows_where(wanted):
        def check():
            jobs_column = column_index(phone_table, "Pending", JOBS_COLUMN)
            rows = [row for row in table_rows(phone_table, [STATE_COLUMN, MAC_COLUMN, NUMBER_COLUMN, jobs_column])
                    if MAC_PATTERN.match(row[1])]
            return len(rows) == N_PHONES and all(wanted(row) for row in rows) and rows
        return check
    wait_for(f"{N_PHONES} phones “Expected”", rows_where(lambda row: row[0] == "Expected"), timeout)
    tap.ok(f"the phone list shows the {N_PHONES} imported phones as “Expected” before any called")

    # A GtkMenuButton is named on the outside and pressed inside (its toggle button)
    header = frame
    menu_button = wait_for("the Main Menu button", lambda: find(header, pyatspi.ROLE_PUSH_BUTTON, "Main Menu"),
                           timeout)
    pressable = [a for a, _ in [(menu_button, None)] + list(descendants(menu_button)) if clickable(a)]
    if not pressable:
        raise StepFailed("the Main Menu button has nothing to press")
    click(pressable[0])
    start = wait_for("the menu item “Start Demo with 20 Simulated Phones”",
                     lambda: find(app, pyatspi.ROLE_MENU_ITEM, "Start Demo with 20 Simulated Phones"), timeout)
    click(start)
    tap.ok("the demo starts from the primary menu")

    # Every phone calls and takes its import; its job is done, or waits while the phone
    # is in one of the demo's calls (D11: a phone older than V3R3 is asked again with the
    # D10 back-off, which may outlast the test)
    def configured_row(row):
        return row[0] not in ("Expected", "") and row[3] == "0"
    try:
        rows = wait_for(f"{N_PHONES} phones configured (none expected, no job left)",
                        rows_where(configured_row), timeout)
    except StepFailed as error:
        tap.comment(str(error))
        rows = wait_for(f"{N_PHONES} phones configured or in a call",
                        rows_where(lambda row: configured_row(row) or row[0] == "Busy"), timeout)
    configured = [index for index, row in enumerate(rows) if configured_row(row)]
    tap.ok(f"all {N_PHONES} imported phones called and took their import; "
           f"{len(configured)} are configured, {N_PHONES - len(configured)} in a call")
    if len(configured) < N_PHONES // 2:
        raise StepFailed(f"only {len(configured)} of {N_PHONES} phones had their import applied")
    mac, number = rows[configured[0]][1], rows[configured[0]][2]

    # The details list the phone's jobs, each with its items: the import's write-items job
    # done, with the imported name. Rows move as phones change: the phone is looked up by
    # its MAC until its details show.
    applied = f"display-id-unicode = Desk {number}"

    def details_applied():
        label = find(phones_page, pyatspi.ROLE_LABEL, match=lambda text: text.startswith(applied))
        done = find(phones_page, pyatspi.ROLE_LABEL, match=lambda text: re.match(r"^#\d+ Write items · Done · ", text))
        if label is None or done is None:
            macs = [row[0] for row in table_rows(phone_table, [MAC_COLUMN])]
            if mac in macs:
                select_only_row(phone_table, macs.index(mac))
        return label is not None and done is not None
    try:
        wait_for(f"the details of {number} to show its import applied (“{applied}”)", details_applied, timeout)
    except StepFailed:
        tap.comment("labels of the details that name the item: %r" %
                    [name(a) for a, r in descendants(phones_page) if "display-id" in (name(a) or "")])
        raise
    tap.ok(f"the details of {number} show its import applied: {applied}")


def import_demo_phones(args, tap, timeout):
    """The console opened with --import (a file chooser is out of AT-SPI's reach): the
    Import dialog previews the list, Import stores it, the phone list shows 20 phones
    “Expected”; the demo started from the primary menu makes them call, and each takes its
    import: configured (no job left), or busy in a call with its job waiting (D11); a
    configured phone's details show it accepted its imported name."""
    tmp = tempfile.mkdtemp(prefix="wpc-e2e-import-")
    csv_path = os.path.join(tmp, "site phones.csv")
    demo_phone_list(csv_path)
    process, log, log_path = launch_console(args, tap, tmp, ["--import", csv_path])
    failed = True
    try:
        app, frame = wait_for("the console's window in the accessibility tree",
                              find_application(process), timeout)
        import_steps(app, frame, tap, timeout)
        failed = False
    except Exception as error:
        tap.not_ok(str(error) if isinstance(error, StepFailed) else f"unexpected {type(error).__name__}: {error}")
    finally:
        end_console(process, log, log_path, tmp, tap, failed)
    return not failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--console", required=True, help="the workpoint-console binary")
    parser.add_argument("--schema-dir", required=True, help="the compiled GSettings schema")
    parser.add_argument("--screenshot-dir", required=True, help="where the screenshots go")
    parser.add_argument("--sim", help="the wpi-sim binary (default: the one beside the console)")
    args = parser.parse_args()
    timeout = float(os.environ.get("WPC_E2E_TIMEOUT", "240"))

    # meson's timeout sends SIGTERM: leave through the finally that ends the console.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))

    tap = Tap()
    passed = run(args, tap, timeout)
    tap.plan()
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
