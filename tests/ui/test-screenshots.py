#!/usr/bin/python3
"""Screenshots of every view and window of the console (issue 12 §5).

Starts the real `workpoint-console --demo 20` four times: at 1024x600 and at 1920x1080,
each in the light and in the dark style (libadwaita's ADW_DEBUG_COLOR_SCHEME), with the
window's size set through its own settings (window-width, window-height). Through AT-SPI,
as test-e2e.py does (whose helpers it loads), it shows each view and opens each window of
the primary menu, and saves each as NAME-WIDTHxHEIGHT-STYLE.png in --screenshot-dir.
Each screenshot must show the window at the size asked for (the window's extents), must
differ from the one before it, and a dark one from its light twin.

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
# libadwaita 1.2, and the console is ended after it anyway; the dialogs of the views are
# shot by their widget tests)
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


class Shots:
    def __init__(self, directory, width, height, style):
        self.directory = directory
        self.suffix = f"{width}x{height}-{style}"
        self.previous = None
        self.taken = []

    def take(self, window, name):
        path = os.path.join(self.directory, f"{name}-{self.suffix}.png")
        self.previous = e2e.screenshot(window, path, self.previous)
        self.taken.append(path)
        return path


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


def open_menu_window(app, frame, item_label, timeout):
    """Opens a window from the primary menu; returns it (the toplevel that was not there)."""
    before = {e2e.name(window) for window in showing_toplevels(app)}
    header = e2e.children(frame)[-1]
    e2e.wait_for("the Main Menu button to be pressed", lambda: press_menu_button(header, "Main Menu"), timeout)
    item = e2e.wait_for(f"the menu item “{item_label}”",
                        lambda: e2e.find(app, pyatspi.ROLE_MENU_ITEM, item_label), timeout)
    e2e.click(item)

    def new_window():
        opened = [window for window in showing_toplevels(app)
                  if e2e.name(window) not in before and e2e.name(window) != e2e.name(frame)]
        return opened[0] if opened else None
    return e2e.wait_for(f"the window that “{item_label}” opens", new_window, timeout)


def close_window(app, window, timeout):
    title = e2e.name(window)
    close = e2e.find_soon(window, pyatspi.ROLE_PUSH_BUTTON, "Close", f"the Close button of “{title}”", timeout)
    e2e.click(close)

    # A window that hides on close (AdwAboutWindow) stays in the tree, no longer showing
    def closed():
        return all(e2e.name(w) != title or not e2e.has_state(w, pyatspi.STATE_SHOWING) for w in toplevels(app))
    e2e.wait_for(f"“{title}” to close", closed, timeout)


def take_set(args, tap, width, height, style, timeout):
    tmp = tempfile.mkdtemp(prefix="wpc-shots-")
    process, log, log_path = launch(args, tap, tmp, width, height, style)
    failed = True
    shots = Shots(args.screenshot_dir, width, height, style)
    try:
        app, frame = e2e.wait_for("the console's window in the accessibility tree",
                                  e2e.find_application(process), timeout)
        e2e.wait_for(f"the window at {width}x{height}", lambda: check_window_size(frame, width, height) is None,
                     timeout)
        header = e2e.children(frame)[-1]
        for file_name, title, table_name in VIEWS:
            tab = e2e.find_soon(header, (pyatspi.ROLE_PAGE_TAB, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_PUSH_BUTTON),
                                title, f"the {title} view's tab", timeout)
            _, table = e2e.open_view(frame, tab, title, table_name, f"the {title} view's table", timeout)
            if file_name == "phones":
                e2e.wait_for(f"{e2e.N_PHONES} phones", lambda: e2e.row_count(table) >= e2e.N_PHONES, timeout)
                e2e.select_only_row(table, 0)
                e2e.wait_for(f"the columns {', '.join(ESSENTIAL_COLUMNS)} in view",
                             lambda: essential_columns_visible(frame, table), timeout)
            shots.take(frame, file_name)
        check_window_size(frame, width, height)
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
