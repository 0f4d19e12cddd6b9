#!/usr/bin/python3
"""Screenshots of every view, dialog and window of the console (issue 12 §5).

Starts the real `workpoint-console --demo 20` four times: at 1024x600 and at 1920x1080,
each in the light and in the dark style (libadwaita's ADW_DEBUG_COLOR_SCHEME), with the
window's size set through its own settings (window-width, window-height). Through AT-SPI,
as test-e2e.py does (whose helpers it loads), it shows each view, opens the views'
dialogs (the sweep; Write Items with its suggestion list, its question before writing
an item the catalogue does not know, then with a drop-down of meanings open and a value
refused; the questions before restarting and before resetting several phones; the PIN
handout's re-issue; the question before closing with work pending, D31) and cancels
each, and opens each window of the primary menu; it saves each as
NAME-WIDTHxHEIGHT-STYLE.png in --screenshot-dir.
Each screenshot must show the window at the size asked for (the window's extents), must
not be blank, must differ from the one before it (a dialog: from what its place showed
before it opened), and a dark one from its light twin.

Two steps change the demo to reach a dialog: the PIN handout's Generate (re-issue needs
PINs), and, through wpictl on the console's store, a phone that never calls with a
restart queued for it (pending work that stays pending, for the question before closing).

With --update DIR, the 1920x1080 light screenshots of the three views are copied to DIR
(data/screenshots/ for AppStream).

Output is TAP. Under sanitizers (--sanitized) it takes the 1024x600 light set only: four
starts of an instrumented console would take most of the suite's time.
"""

import argparse
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("e2e", os.path.join(HERE, "test-e2e.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

pyatspi = e2e.pyatspi
StepFailed = e2e.StepFailed

SIZES = [(1024, 600), (1920, 1080)]
STYLES = {"light": "prefer-light", "dark": "prefer-dark"}
VIEWS = [("phones", "Phones", "Phones"), ("pin-handout", "PIN handout", "PINs"), ("traffic", "Traffic", "Messages")]
# Windows of the primary menu: (file name, menu item)
# (the last is left open: AdwAboutWindow does not close through AT-SPI's Close action in
# libadwaita 1.2, and the console is ended after it anyway)
MENU_WINDOWS = [("preferences", "Preferences"), ("shortcuts", "Keyboard Shortcuts"),
                ("about", "About Workpoint Console")]
APPSTREAM_SIZE = (1920, 1080)
# At the smallest screen these columns of the phone list show without scrolling (issue 12 §4)
ESSENTIAL_COLUMNS = ["State", "MAC", "Number", "Mode"]


def write_window_size(env, width, height):
    """The console's own settings (a keyfile, as a desktop without dconf keeps them)."""
    directory = os.path.join(env["XDG_CONFIG_HOME"], "glib-2.0", "settings")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "keyfile"), "w") as keyfile:
        keyfile.write(f"[org/workpoint/Console]\nwindow-width={width}\nwindow-height={height}\n"
                      "window-maximized=false\n")
    env["GSETTINGS_BACKEND"] = "keyfile"


def launch(args, tap, tmp, width, height, style):
    port, secure_port = e2e.free_ports(2)
    env = e2e.console_environment(tmp, args.schema_dir)
    write_window_size(env, width, height)
    env["ADW_DEBUG_COLOR_SCHEME"] = STYLES[style]
    command = [args.console, "--demo", str(e2e.N_PHONES), "--data-dir", os.path.join(tmp, "store"),
               "--bind", "127.0.0.1", "--port", str(port), "--secure-port", str(secure_port)]
    tap.comment(f"{width}x{height} {style}: " + " ".join(command))
    log_path = os.path.join(tmp, "console.log")
    log = open(log_path, "w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, log, log_path


def toplevels(app):
    return [child for child in e2e.children(app)
            if e2e.role(child) in (pyatspi.ROLE_FRAME, pyatspi.ROLE_DIALOG, pyatspi.ROLE_WINDOW)]


def showing_toplevels(app):
    return [window for window in toplevels(app) if e2e.has_state(window, pyatspi.STATE_SHOWING)]


def press_menu_button(header, name):
    """A GtkMenuButton is named on the outside and pressed inside (its toggle button)."""
    button = e2e.find(header, pyatspi.ROLE_PUSH_BUTTON, name) or e2e.find(header, pyatspi.ROLE_TOGGLE_BUTTON, name)
    if button is None:
        return False
    pressable = [a for a, _ in [(button, None)] + list(e2e.descendants(button)) if e2e.clickable(a)]
    if not pressable:
        return False
    e2e.click(pressable[0])
    return True


# A screenshot with fewer colours is blank (one colour, or a few of a half-drawn window):
# the smallest dialog, with its text antialiased, has hundreds
MIN_COLOURS = 16


def colours(path):
    result = subprocess.run(["identify", "-format", "%k", path], capture_output=True, text=True)
    if result.returncode != 0:
        raise StepFailed(f"identify cannot read {path}: {result.stderr.strip()}")
    return int(result.stdout)


def pixels_differing(first, second):
    """How many pixels of two pictures of one size differ (ImageMagick's compare; a
    file name may end in [WxH+X+Y] to compare that part of it)."""
    result = subprocess.run(["compare", "-metric", "AE", first, second, "null:"], capture_output=True, text=True)
    if result.returncode > 1:
        raise StepFailed(f"compare cannot compare {first} and {second}: {result.stderr.strip()}")
    return float(result.stderr.split()[0])


def capture_screen(path):
    subprocess.run(["import", "-window", "root", path], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    return path


class Shots:
    def __init__(self, directory, width, height, style, tmp):
        self.directory = directory
        self.suffix = f"{width}x{height}-{style}"
        self.previous = None
        self.taken = []
        self.before_path = os.path.join(tmp, "before.png")

    def before(self):
        """The screen before a dialog opens (or a popover): its shot must differ from this
        in the dialog's place, which tells its first paint from what was there."""
        return capture_screen(self.before_path)

    def take(self, window, name, before=None):
        path = os.path.join(self.directory, f"{name}-{self.suffix}.png")
        if before is None:
            self.previous = e2e.screenshot(window, path, self.previous)
        else:
            self.previous = self.take_over(window, path, before)
        shown = colours(path)
        if shown < MIN_COLOURS:
            raise StepFailed(f"{os.path.basename(path)} is blank ({shown} colours)")
        self.taken.append(path)
        return path

    @staticmethod
    def take_over(window, path, before):
        def extents():
            return tuple(window.queryComponent().getExtents(pyatspi.DESKTOP_COORDS))

        def drawn():
            x, y, width, height = extents()
            data = e2e.screenshot(window, path, None)
            # Unpainted, the place still shows what was there (a popover changes a few
            # percent); a window that grew meanwhile is shot again
            changed = pixels_differing(f"{before}[{width}x{height}+{max(x, 0)}+{max(y, 0)}]", path)
            return changed >= width * height // 100 and extents() == (x, y, width, height) and data
        return e2e.wait_for(f"{os.path.basename(path)} to show what opened", drawn, 30)


# Without a window manager GTK draws the window's shadow itself, inside the size it is
# given: what shows is up to CSD_SHADOW pixels smaller each way.
CSD_SHADOW = 20


def check_window_size(frame, width, height):
    # Window coordinates: GTK 4.8 reports no screen positions (and warns when asked)
    _, _, actual_width, actual_height = frame.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    if not (width - CSD_SHADOW <= actual_width <= width and height - CSD_SHADOW <= actual_height <= height):
        raise StepFailed(f"the window is {actual_width}x{actual_height}, not {width}x{height} as its settings say")


def column_headers(table):
    """The phone list's column headers by title (GTK 4.8: fillers named after their class)."""
    headers = {}

    def collect(accessible, depth):
        for child in e2e.children(accessible):
            child_role = e2e.role(child)
            if child_role == pyatspi.ROLE_COLUMN_HEADER or e2e.name(child) == "GtkColumnViewTitle":
                headers[e2e.first_label(child) or e2e.name(child)] = child
            elif child_role != pyatspi.ROLE_LIST and depth > 0:
                collect(child, depth - 1)
    collect(table, 3)
    return headers


def essential_columns_visible(frame, table):
    """Each essential column's header lies inside the list's visible part: the scrolled
    window around the list (the table's parent), within the window."""
    viewport = table.parent if table.parent is not None else frame
    vx, _, vwidth, _ = viewport.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    _, _, frame_width, _ = frame.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    right = min(vx + vwidth, frame_width)
    headers = column_headers(table)
    problems = []
    for title in ESSENTIAL_COLUMNS:
        if title not in headers:
            problems.append(f"{title}: not shown")
            continue
        x, _, width, _ = headers[title].queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        if x < vx or x + width > right:
            problems.append(f"{title}: x {x}..{x + width} outside {vx}..{right}")
    if problems:
        raise StepFailed("the phone list's essential columns are not all in view: " + "; ".join(problems)
                         + f" (columns: {list(headers)})")
    return True


def choose_menu_item(app, container, button_name, item_label, timeout):
    e2e.wait_for(f"the {button_name} button to be pressed", lambda: press_menu_button(container, button_name), timeout)
    item = e2e.wait_for(f"the menu item “{item_label}”",
                        lambda: e2e.find(app, pyatspi.ROLE_MENU_ITEM, item_label), timeout)
    e2e.click(item)


def open_menu_window(app, frame, item_label, timeout):
    """Opens a window from the primary menu; returns it (the toplevel that was not there)."""
    before = {e2e.name(window) for window in showing_toplevels(app)}
    choose_menu_item(app, e2e.children(frame)[-1], "Main Menu", item_label, timeout)

    def new_window():
        opened = [window for window in showing_toplevels(app)
                  if e2e.name(window) not in before and e2e.name(window) != e2e.name(frame)]
        return opened[0] if opened else None
    return e2e.wait_for(f"the window that “{item_label}” opens", new_window, timeout)


def show_view(frame, title, table_name, timeout):
    """Clicks a view's tab; returns the view's page and its table named table_name."""
    tab = e2e.find_soon(e2e.children(frame)[-1], (pyatspi.ROLE_PAGE_TAB, pyatspi.ROLE_TOGGLE_BUTTON,
                                                  pyatspi.ROLE_PUSH_BUTTON),
                        title, f"the {title} view's tab", timeout)
    return e2e.open_view(frame, tab, title, table_name, f"the {title} view's table", timeout)


def close_window(app, window, timeout):
    title = e2e.name(window)
    close = e2e.find_soon(window, pyatspi.ROLE_PUSH_BUTTON, "Close", f"the Close button of “{title}”", timeout)
    e2e.click(close)

    # A window that hides on close (AdwAboutWindow) stays in the tree, no longer showing
    def closed():
        return all(e2e.name(w) != title or not e2e.has_state(w, pyatspi.STATE_SHOWING) for w in toplevels(app))
    e2e.wait_for(f"“{title}” to close", closed, timeout)


# The views' dialogs -------------------------------------------------------------------

TEXT_ROLES = (pyatspi.ROLE_TEXT, pyatspi.ROLE_ENTRY)
RESTART_ROWS = 3
REISSUE_ROWS = 2
# A phone the demo does not simulate (its phones are 00:1A:E8:00:00:xx): imported, it
# never calls, so a job queued for it stays pending
UNSEEN_PHONE_MAC = "00:1A:E8:FF:00:01"
UNSEEN_PHONE_NUMBER = "4989700199001"


def find_all(root, roles, wanted_name=None, match=None):
    """Every accessible below root with one of roles, rows of lists included (unlike
    e2e.find): a dialog's fields stand in a list's rows, and a dialog is small."""
    found = []
    for child in e2e.children(root):
        if (e2e.role(child) in roles and (wanted_name is None or e2e.name(child) == wanted_name)
                and (match is None or match(e2e.name(child)))):
            found.append(child)
        found.extend(find_all(child, roles, wanted_name, match))
    return found


def popover_open(widget):
    """GTK 4.8 has an open popover (a suggestion list, a drop-down's list) in the tree
    below its widget, and drops it once closed."""
    return bool(find_all(widget, (pyatspi.ROLE_FILLER,), "GtkPopover"))


def set_text(entry, text, timeout):
    if not entry.queryEditableText().setTextContents(text):
        raise StepFailed(f"“{e2e.name(entry)}” did not take “{text}”")
    e2e.wait_for(f"“{e2e.name(entry)}” to read “{text}”", lambda: e2e.text_of(entry) == text, timeout)


def select_rows(table, count):
    selection = e2e.row_list(table).querySelection()
    selection.clearSelection()
    for index in range(count):
        if not selection.selectChild(index):
            raise StepFailed(f"row {index} of “{e2e.name(table)}” cannot be selected")
    return selection


def details_field(page, title):
    """The text of a field of the phone details (the label after the one named title)."""
    label = e2e.find(page, pyatspi.ROLE_LABEL, title)
    if label is None:
        return None
    value = label.parent.getChildAtIndex(label.getIndexInParent() + 1)
    return e2e.text_of(value) if value is not None else None


class DialogTour:
    """Opens each dialog of the views, shoots it and cancels it (the one window at a time
    the console shows, the main window aside)."""

    def __init__(self, args, app, frame, process, shots, tmp, timeout):
        self.args, self.app, self.frame, self.process = args, app, frame, process
        self.shots, self.tmp, self.timeout = shots, tmp, timeout
        self.header = e2e.children(frame)[-1]

    def wait(self, what, condition):
        return e2e.wait_for(what, condition, self.timeout)

    def show_view(self, title, table_name):
        return show_view(self.frame, title, table_name, self.timeout)

    def window(self, condition):
        """The console's toplevel, other than its main window, for which condition holds."""
        return next((window for window in e2e.children(self.app)
                     if e2e.name(window) != e2e.name(self.frame) and condition(window)), None)

    def window_named(self, title):
        return self.window(lambda window: e2e.name(window) == title)

    def question(self, heading):
        """An AdwMessageDialog by its heading."""
        return self.window(lambda window: e2e.find(window, pyatspi.ROLE_LABEL, heading))

    def press(self, container, label):
        button = self.wait(f"the button “{label}”", lambda: e2e.answer_button(container, label))
        self.wait(f"“{label}” to be enabled", lambda: e2e.has_state(button, pyatspi.STATE_SENSITIVE))
        e2e.click(button)

    def cancel(self, find_window, what, label="Cancel"):
        """Answers with label (Cancel: nothing is done) and waits for the window to go."""
        self.press(find_window(), label)
        self.wait(f"{what} to close", lambda: find_window() is None)
        if self.process.poll() is not None:
            raise StepFailed(f"the console exited when {what} was answered with {label}")

    def open_and_take(self, press, find_window, name, what):
        """Presses what opens a window and shoots the window once it is drawn."""
        before = self.shots.before()
        press()
        window = self.wait(what, find_window)
        self.shots.take(window, name, before)
        return window

    def sweep(self):
        page, _ = self.show_view("Phones", "Phones")
        title = "Find Phones by Sweep"
        dialog = self.open_and_take(
            lambda: choose_menu_item(self.app, page, "More actions", f"{title}…", self.timeout),
            lambda: self.window_named(title), "phones-sweep", f"the “{title}” window")
        e2e.find_soon(dialog, TEXT_ROLES, "Range", "the sweep window's “Range” field", self.timeout)
        self.cancel(lambda: self.window_named(title), f"the “{title}” window", "Close")

    def write_items(self):
        """Issue 12 §3: the name's suggestion list; then an item with fixed choices, its
        drop-down of meanings open, beside a value the catalogue refuses."""
        page, table = self.show_view("Phones", "Phones")
        e2e.select_only_row(table, 0)
        title = "Write Items"
        dialog = self.open_and_take(lambda: self.press(page, "Write Items…"), lambda: self.window_named(title),
                                    "phones-write-items", f"the “{title}” window")

        def fields(name):
            return find_all(dialog, TEXT_ROLES + (pyatspi.ROLE_COMBO_BOX,), name)
        first = self.wait("the “Item name” field", lambda: fields("Item name"))[0]
        before = self.shots.before()
        # The field has the focus (issue 12 §3): typing into it opens its suggestions
        set_text(first, "transport", self.timeout)
        self.wait("the suggestion list for “transport”", lambda: popover_open(first))
        self.shots.take(dialog, "phones-write-items-suggestions", before)
        # D32: an item the catalogue does not know is written only when confirmed
        heading = "Write Unknown Item?"
        self.open_and_take(lambda: self.press(dialog, "Write"), lambda: self.question(heading),
                           "phones-write-items-unknown", f"the question “{heading}”")
        self.cancel(lambda: self.question(heading), f"the question “{heading}”")
        if self.window_named(title) is None:
            raise StepFailed(f"Cancel in “{heading}” closed the “{title}” window")

        set_text(first, "sip-transport", self.timeout)
        self.press(dialog, "Add Item")
        second = self.wait("a second “Item name” field", lambda: fields("Item name")[1:])[0]
        set_text(second, "registrar-port", self.timeout)
        # The first row's value is a drop-down now: the one value field left is the second's
        value = self.wait("the second row's “Value” field",
                          lambda: [f for f in fields("Value") if e2e.role(f) in TEXT_ROLES])[0]
        set_text(value, "70000", self.timeout)

        def message(text):
            return find_all(dialog, (pyatspi.ROLE_LABEL,), match=lambda label: text in label)
        self.wait("the rows' messages “Choose a value.” and “… out of range …”",
                  lambda: message("Choose a value.") and message("out of range"))
        choices = self.wait("the first row's drop-down of meanings",
                            lambda: [f for f in fields("Value") if e2e.role(f) == pyatspi.ROLE_COMBO_BOX])[0]
        toggle = self.wait("the drop-down's button", lambda: find_all(choices, (pyatspi.ROLE_PUSH_BUTTON,)))[0]
        before = self.shots.before()
        e2e.click(toggle)
        # Focus moves into the drop-down's list: the second row's suggestions close
        self.wait("the drop-down's meanings (UDP, TCP, TLS) open, no suggestion list",
                  lambda: popover_open(choices) and find_all(choices, (pyatspi.ROLE_LABEL,), "TLS")
                  and not any(popover_open(field) for field in fields("Item name")))
        self.shots.take(dialog, "phones-write-items-choices", before)
        e2e.click(toggle)
        self.wait("the drop-down to close", lambda: not popover_open(choices))
        self.cancel(lambda: self.window_named(title), f"the “{title}” window")

    def ask_about_rows(self, table, rows, ask, heading, name):
        """Selects the first rows of table and calls ask, which asks first: shoots the
        question (its heading, e.g. “Restart 3 Phones?”) and cancels it."""
        selection = select_rows(table, rows)
        self.wait(f"{rows} rows of “{e2e.name(table)}” selected", lambda: selection.nSelectedChildren == rows)
        self.open_and_take(ask, lambda: self.question(heading), name, f"the question “{heading}”")
        self.cancel(lambda: self.question(heading), f"the question “{heading}”")

    def restart(self):
        """Issue 12 §2: a restart of several phones asks first, and a factory reset keeps
        its confirmation."""
        page, table = self.show_view("Phones", "Phones")
        self.ask_about_rows(table, RESTART_ROWS, lambda: self.press(page, "Restart"),
                            f"Restart {RESTART_ROWS} Phones?", "phones-restart")
        self.ask_about_rows(table, RESTART_ROWS,
                            lambda: choose_menu_item(self.app, page, "More actions", "Factory Reset…", self.timeout),
                            f"Factory Reset {RESTART_ROWS} Phones?", "phones-factory-reset")

    def reissue(self):
        """Issue 11 §3: re-issuing PINs asks first; there are PINs once generated."""
        page, table = self.show_view("PIN handout", "PINs")
        self.press(page, "Generate")
        self.wait(f"PINs for {e2e.N_PHONES} phones",
                  lambda: sum(1 for row in e2e.table_rows(table, [0]) if e2e.MAC_PATTERN.match(row[0]))
                  == e2e.N_PHONES)
        self.ask_about_rows(table, REISSUE_ROWS, lambda: self.press(page, "Re-issue"),
                            f"Re-issue the PINs of {REISSUE_ROWS} Phones?", "pin-handout-reissue")

    def wpictl(self, *command):
        result = subprocess.run([self.args.wpictl, "--data-dir", os.path.join(self.tmp, "store")] + list(command),
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise StepFailed(f"wpictl {' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout.strip()

    def close_pending(self):
        """D31: closing with work pending asks. A restart queued for a phone that never
        calls stays pending whatever the demo's phones do."""
        page, table = self.show_view("Phones", "Phones")
        phone_list = os.path.join(self.tmp, "unseen-phone.csv")
        with open(phone_list, "w") as csv:
            csv.write(f"MAC;Number;Location\n{UNSEEN_PHONE_MAC};{UNSEEN_PHONE_NUMBER};Store room\n")
        self.wpictl("import", phone_list)
        job = self.wpictl("restart", UNSEEN_PHONE_MAC)

        # The console reads the store's change within a second. The phone's details count
        # its pending jobs from the phone itself, which the service re-reads with the jobs
        # (the list of jobs below is a store read, which the demo's job changes can hold off).
        # The search leaves the phone alone in the list, where rows move as phones change.
        search = e2e.find_soon(page, TEXT_ROLES, "Search phones", "the Phones view's search", self.timeout)
        set_text(search, UNSEEN_PHONE_MAC, self.timeout)
        shown = []

        def pending_shown():
            mac, count = details_field(page, "MAC"), details_field(page, "Pending jobs")
            if mac == UNSEEN_PHONE_MAC and count not in (None, "0"):
                return True
            shown[:] = [f"{e2e.row_count(table)} phones listed", f"the details of {mac}: pending jobs {count}"]
            if e2e.row_count(table) == 1:
                e2e.select_only_row(table, 0)
            return False
        try:
            self.wait(f"the details of {UNSEEN_PHONE_MAC} to count its restart (job {job}) pending", pending_shown)
        except StepFailed as error:
            raise StepFailed(f"{error} ({'; '.join(shown)}; the job: {self.wpictl('job', job)})")
        self.open_and_take(lambda: self.press(self.header, "Close"), lambda: e2e.close_question(self.app),
                           "close-pending", "the question before closing with work pending")
        self.cancel(lambda: e2e.close_question(self.app), "the question before closing")

    def take_all(self):
        for step in (self.sweep, self.write_items, self.restart, self.reissue, self.close_pending):
            step()


def take_set(args, tap, width, height, style, timeout):
    tmp = tempfile.mkdtemp(prefix="wpc-shots-")
    process, log, log_path = launch(args, tap, tmp, width, height, style)
    failed = True
    shots = Shots(args.screenshot_dir, width, height, style, tmp)
    try:
        app, frame = e2e.wait_for("the console's window in the accessibility tree",
                                  e2e.find_application(process), timeout)
        e2e.wait_for(f"the window at {width}x{height}", lambda: check_window_size(frame, width, height) is None,
                     timeout)
        for file_name, title, table_name in VIEWS:
            _, table = show_view(frame, title, table_name, timeout)
            if file_name == "phones":
                e2e.wait_for(f"{e2e.N_PHONES} phones", lambda: e2e.row_count(table) >= e2e.N_PHONES, timeout)
                e2e.select_only_row(table, 0)
                e2e.wait_for(f"the columns {', '.join(ESSENTIAL_COLUMNS)} in view",
                             lambda: essential_columns_visible(frame, table), timeout)
            shots.take(frame, file_name)
        check_window_size(frame, width, height)
        DialogTour(args, app, frame, process, shots, tmp, timeout).take_all()
        for index, (file_name, item_label) in enumerate(MENU_WINDOWS):
            window = open_menu_window(app, frame, item_label, timeout)
            shots.take(window, file_name)
            if index < len(MENU_WINDOWS) - 1:
                close_window(app, window, timeout)
        tap.ok(f"{len(shots.taken)} screenshots at {width}x{height}, {style}, the columns "
               f"{', '.join(ESSENTIAL_COLUMNS)} in view: "
               + ", ".join(os.path.basename(path) for path in shots.taken))
        failed = False
    except Exception as error:
        tap.not_ok(f"{width}x{height} {style}: " +
                   (str(error) if isinstance(error, StepFailed) else f"unexpected {type(error).__name__}: {error}"))
    finally:
        e2e.end_console(process, log, log_path, tmp, tap, failed)
    return None if failed else shots.taken


def differ_by_style(light, dark):
    """A dark screenshot differs from its light twin (the style was applied)."""
    same = [os.path.basename(a) for a, b in zip(light, dark) if open(a, "rb").read() == open(b, "rb").read()]
    return same


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--console", required=True)
    parser.add_argument("--schema-dir", required=True)
    parser.add_argument("--wpictl", required=True, help="wpictl, which queues work in the console's store")
    parser.add_argument("--screenshot-dir", required=True)
    parser.add_argument("--sanitized", action="store_true", help="the console runs under sanitizers")
    parser.add_argument("--update", metavar="DIR", help="copy the AppStream screenshots to DIR")
    args = parser.parse_args()
    timeout = float(os.environ.get("WPC_E2E_TIMEOUT", "240"))
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    os.makedirs(args.screenshot_dir, exist_ok=True)

    tap = e2e.Tap()
    combos = [(size, style) for style in STYLES for size in SIZES]
    if args.sanitized:
        combos = combos[:1]
    taken = {}
    for (width, height), style in combos:
        taken[(width, height, style)] = take_set(args, tap, width, height, style, timeout)
    passed = all(taken.values())
    if passed and not args.sanitized:
        for width, height in SIZES:
            same = differ_by_style(taken[(width, height, "light")], taken[(width, height, "dark")])
            if same:
                tap.not_ok(f"at {width}x{height} the dark screenshots equal the light ones: {same}")
                passed = False
            else:
                tap.ok(f"at {width}x{height} every dark screenshot differs from its light twin")
    if passed and args.update:
        width, height = APPSTREAM_SIZE
        for file_name, _, _ in VIEWS:
            shutil.copyfile(os.path.join(args.screenshot_dir, f"{file_name}-{width}x{height}-light.png"),
                            os.path.join(args.update, f"{file_name}.png"))
        tap.ok(f"the AppStream screenshots in {args.update} updated")
    tap.plan()
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
