#!/usr/bin/python3
"""A tiny GTK 3 drag source for scripts/screenshots.sh.

Usage: /usr/bin/python3 scripts/dragsource.py FILE X Y

Opens an undecorated 80x80 window at X,Y whose whole area can be dragged;
it offers FILE as text/uri-list (what a file manager offers), so dropping it
on Meshdrop's window goes through XDND exactly as a person's drop does. It
prints "ready" once mapped, "dropped" or "failed" when the drag ends, and
then exits (0 when the target accepted the drop).
"""
import sys
import urllib.parse

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

URI_LIST = 0


def main():
    path, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    uri = "file://" + urllib.parse.quote(path)
    result = {"ok": False}

    win = Gtk.Window(title="dragsource")
    win.set_decorated(False)
    win.set_default_size(80, 80)
    win.move(x, y)
    box = Gtk.EventBox()
    box.add(Gtk.Label(label="drag me"))
    win.add(box)

    box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK,
                        [Gtk.TargetEntry.new("text/uri-list", 0, URI_LIST)],
                        Gdk.DragAction.COPY)

    def on_get(_w, _ctx, data, _info, _time):
        # The target asks for the data only when something was dropped on it.
        data.set_uris([uri])
        result["ok"] = True

    def on_failed(_w, _ctx, res):
        print("drag failed:", res.value_nick, flush=True)
        result["ok"] = False
        return False

    def on_end(_w, _ctx):
        print("dropped" if result["ok"] else "failed", flush=True)
        GLib.timeout_add(200, Gtk.main_quit)

    box.connect("drag-begin", lambda *_: print("drag-begin", flush=True))
    box.connect("drag-data-get", on_get)
    box.connect("drag-failed", on_failed)
    box.connect("drag-end", on_end)
    win.connect("destroy", Gtk.main_quit)
    win.show_all()
    GLib.idle_add(lambda: print("ready", flush=True) and False)
    Gtk.main()
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
