# Meshdrop: `make run` opens the window, `make test` runs every test.
# Both install the system packages they need on Debian/Ubuntu first.

GO      ?= go
PREFIX  ?= /usr/local
DESTDIR ?=
BIN     := bin/meshdrop
# The window lives in its own binary: linking Fyne, OpenGL and GTK costs every
# process 50–100 ms at start, which headless commands (thumb, jobs…) should not pay.
GUI_BIN := bin/meshdrop-gui
APP_ID  := io.meshdrop.app
VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
LDFLAGS := -X meshdrop/core/version.Version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FYNE_CMD    := fyne.io/tools/cmd/fyne@v1.7.0
export LANG ?= C.UTF-8
# Fyne 2.7 reads the language from LANG and cannot parse "C.UTF-8" (it logs
# "Error parsing user locale C"); LANGUAGE gives it one for C locales.
ifneq ($(filter C.% POSIX.%,$(LANG)),)
export LANGUAGE ?= en
endif

.PHONY: all run build debug test bench lint fuzz package install uninstall screenshots deps deps-test clean

all: build

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

build: deps
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(GUI_BIN) .
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/meshdrop

# debug keeps Fyne's thread checks on (fyne.Do misuse is reported).
debug: deps
	$(GO) build -tags debug -ldflags '$(LDFLAGS)' -o $(GUI_BIN) .
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/meshdrop

run: build
	./$(BIN)

test: deps-test
	@scripts/test.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./core/...

# Short fuzz runs of every parser of outside input (FUZZTIME per target).
FUZZTIME ?= 30s
fuzz:
	@FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@! $(GO) list -deps ./core/... | grep '^fyne.io/' || { echo "core/ must not import Fyne (see above)"; exit 1; }

package: deps
	$(GO) run $(FYNE_CMD) package -os linux --release
	@ls -l Meshdrop.tar.xz

install: build
	install -Dm755 $(BIN) $(DESTDIR)$(PREFIX)/bin/meshdrop
	install -Dm755 $(GUI_BIN) $(DESTDIR)$(PREFIX)/bin/meshdrop-gui
	install -Dm644 assets/meshdrop.desktop $(DESTDIR)$(PREFIX)/share/applications/$(APP_ID).desktop
	install -Dm644 assets/icon.png $(DESTDIR)$(PREFIX)/share/icons/hicolor/512x512/apps/$(APP_ID).png
	install -Dm644 assets/icon.svg $(DESTDIR)$(PREFIX)/share/icons/hicolor/scalable/apps/$(APP_ID).svg

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/meshdrop $(DESTDIR)$(PREFIX)/bin/meshdrop-gui \
	  $(DESTDIR)$(PREFIX)/share/applications/$(APP_ID).desktop \
	  $(DESTDIR)$(PREFIX)/share/icons/hicolor/512x512/apps/$(APP_ID).png \
	  $(DESTDIR)$(PREFIX)/share/icons/hicolor/scalable/apps/$(APP_ID).svg

screenshots:
	@scripts/deps.sh screenshots
	@scripts/screenshots.sh

clean:
	rm -rf bin dist Meshdrop.tar.xz
