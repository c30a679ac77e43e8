//go:build !wayland && (linux || freebsd || openbsd || netbsd)

package ui

import (
	"errors"
	"image"
	"os"
	"testing"
	"time"

	"meshdrop/ui/internal/x11test"
)

// X11 test settings (scripts/test.sh sets both and starts Xvfb).
const (
	// EnvRequireX11 makes the X11 tests fail instead of skipping when no X
	// server can be reached.
	EnvRequireX11 = "MESHDROP_REQUIRE_X11"
	// EnvTestDisplay is the X display for these tests, instead of $DISPLAY.
	EnvTestDisplay = "MESHDROP_TEST_DISPLAY"
)

// openTestWindow opens a plain Xlib window on the test display, or skips
// (fails under MESHDROP_REQUIRE_X11=1) when there is no X server.
func openTestWindow(t *testing.T, x, y, w, h int, staticGravity bool) *x11test.Window {
	t.Helper()
	if d := os.Getenv(EnvTestDisplay); d != "" {
		t.Setenv("DISPLAY", d)
	}
	win, err := x11test.Open(x, y, w, h, staticGravity)
	if err != nil {
		if os.Getenv(EnvRequireX11) == "1" {
			t.Fatalf("%v: %s=1 needs an X server (scripts/test.sh starts Xvfb)", err, EnvRequireX11)
		}
		t.Skipf("no X server (%v): run under Xvfb, e.g. `make test`, to test window positions", err)
	}
	t.Cleanup(win.Close)
	return win
}

// screenOf returns the test display's first screen (scripts/test.sh: one
// Xvfb screen, no window manager, so a window's frame is the window itself).
func screenOf(t *testing.T) image.Rectangle {
	t.Helper()
	screens, err := x11Screens()
	if err != nil {
		t.Fatalf("x11Screens: %v", err)
	}
	if len(screens) == 0 {
		t.Fatal("x11Screens: no screen")
	}
	s := screens[0]
	if s.Dx() < 400 || s.Dy() < 300 {
		t.Fatalf("screen %v is too small for this test", s)
	}
	return s
}

// waitPosition waits for window id's frame to be at want: a window manager
// (when the tests run on a desktop) applies moves asynchronously; on Xvfb
// without one the first read is already right.
func waitPosition(t *testing.T, id uintptr, want image.Point) {
	t.Helper()
	var got image.Point
	var err error
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got.X, got.Y, err = x11FramePosition(id)
		if err == nil && got == want {
			return
		}
	}
	if err != nil {
		t.Fatalf("x11FramePosition: %v", err)
	}
	t.Fatalf("window frame at %v, want %v", got, want)
}

// Both gravities: the default, and GLFW's (under a window manager a move
// request means the frame's corner for one, the client area's for the
// other; without one they behave alike).
func TestX11MoveAndReadBack(t *testing.T) {
	for _, static := range []bool{false, true} {
		win := openTestWindow(t, 10, 20, 300, 200, static)
		screen := screenOf(t)

		if _, _, err := x11FramePosition(win.ID); err != nil {
			t.Fatalf("x11FramePosition of a new window: %v", err)
		}
		for _, p := range []image.Point{
			{200, 150},
			{screen.Max.X - 300, screen.Max.Y - 200},
			{-10, 0}, // corner just off the left edge: the title bar is still on screen
			{200, 150},
		} {
			if err := x11MoveFrame(win.ID, p.X, p.Y); err != nil {
				t.Fatalf("static gravity %v: x11MoveFrame(%v): %v", static, p, err)
			}
			waitPosition(t, win.ID, p)
		}
	}
}

func TestX11RefusesOffScreen(t *testing.T) {
	win := openTestWindow(t, 0, 0, 300, 200, true)
	screen := screenOf(t)
	if err := x11MoveFrame(win.ID, 200, 150); err != nil {
		t.Fatalf("x11MoveFrame(200,150): %v", err)
	}
	waitPosition(t, win.ID, image.Pt(200, 150))

	for _, p := range []image.Point{
		{screen.Max.X + 500, 100},           // a monitor to the right, unplugged
		{100, screen.Max.Y + 50},            // below the screen
		{-5000, -5000},                      // far up-left
		{screen.Max.X - grabSpotX + 1, 100}, // corner on screen, title bar not
		{-grabSpotX - 1, screen.Max.Y / 2},  // grab spot just left of the screen
		{screen.Max.X / 2, -grabSpotY - 1},  // grab spot just above it
	} {
		err := x11MoveFrame(win.ID, p.X, p.Y)
		if !errors.Is(err, errOffScreen) {
			t.Errorf("x11MoveFrame(%v) = %v, want errOffScreen", p, err)
		}
	}
	time.Sleep(100 * time.Millisecond) // a window manager would have moved it by now
	x, y, err := x11FramePosition(win.ID)
	if err != nil {
		t.Fatalf("x11FramePosition: %v", err)
	}
	if x != 200 || y != 150 {
		t.Errorf("refused moves moved the window to %d,%d (want it left at 200,150)", x, y)
	}
}

// A position on a monitor that is no longer there (but inside the root
// window, which still spans where it was) is refused: the screens are the
// monitors, not the root window.
func TestX11RefusesUnpluggedMonitor(t *testing.T) {
	win := openTestWindow(t, 0, 0, 300, 200, true)
	if os.Getenv(EnvTestDisplay) == "" {
		t.Skipf("changes the X server's monitors: runs only on a private server (%s, set by scripts/test.sh)", EnvTestDisplay)
	}
	root := screenOf(t)
	left := image.Rect(0, 0, root.Dx()/2, root.Dy())
	restore, err := x11test.SetMonitor("MESHDROP_TEST_LEFT", left.Min.X, left.Min.Y, left.Dx(), left.Dy())
	if err != nil {
		t.Fatalf("SetMonitor: %v", err)
	}
	t.Cleanup(restore)

	screens, err := x11Screens()
	if err != nil {
		t.Fatalf("x11Screens: %v", err)
	}
	if len(screens) != 1 || screens[0] != left {
		t.Fatalf("x11Screens = %v, want only the left half %v", screens, left)
	}
	onRightHalf := image.Pt(left.Max.X+100, 100)
	if err := x11MoveFrame(win.ID, onRightHalf.X, onRightHalf.Y); !errors.Is(err, errOffScreen) {
		t.Errorf("x11MoveFrame(%v) with the right half unplugged = %v, want errOffScreen", onRightHalf, err)
	}
	if err := x11MoveFrame(win.ID, 100, 100); err != nil {
		t.Fatalf("x11MoveFrame(100,100) on the left monitor: %v", err)
	}
	waitPosition(t, win.ID, image.Pt(100, 100))

	// Plugged back in: the right half is fine again.
	restore()
	if err := x11MoveFrame(win.ID, onRightHalf.X, onRightHalf.Y); err != nil {
		t.Fatalf("x11MoveFrame(%v) with the monitor back: %v", onRightHalf, err)
	}
	waitPosition(t, win.ID, onRightHalf)
}

// A window that no longer exists is an error, not Xlib's default handler
// exiting the process.
func TestX11GoneWindowIsAnError(t *testing.T) {
	win := openTestWindow(t, 0, 0, 100, 100, false)
	id := win.ID
	win.Close()
	if _, _, err := x11FramePosition(id); err == nil {
		t.Error("x11FramePosition of a destroyed window: no error")
	}
	// The connection and error handler were restored: a live window still works.
	live := openTestWindow(t, 30, 40, 100, 100, true)
	if err := x11MoveFrame(live.ID, 60, 70); err != nil {
		t.Fatalf("x11MoveFrame after the error: %v", err)
	}
	waitPosition(t, live.ID, image.Pt(60, 70))
}

// Without DISPLAY the calls fail cleanly (no crash).
func TestX11NoDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	if _, err := x11Screens(); err == nil {
		t.Error("x11Screens without DISPLAY: no error")
	}
	if _, _, err := x11FramePosition(1); err == nil {
		t.Error("x11FramePosition without DISPLAY: no error")
	}
	if err := x11MoveFrame(1, 0, 0); err == nil {
		t.Error("x11MoveFrame without DISPLAY: no error")
	}
}

func TestOnSomeScreen(t *testing.T) {
	// Two monitors side by side, the right one lower and smaller.
	screens := []image.Rectangle{image.Rect(0, 0, 1920, 1080), image.Rect(1920, 200, 3200, 1000)}
	for _, c := range []struct {
		x, y int
		want bool
	}{
		{100, 100, true},
		{2000, 300, true},
		{2000, 100, false}, // above the right monitor, beside the left one's top
		{-grabSpotX, 0, true},
		{-grabSpotX - 1, 0, false},
		{3200, 500, false},
	} {
		if got := onSomeScreen(screens, c.x, c.y); got != c.want {
			t.Errorf("onSomeScreen(%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}
