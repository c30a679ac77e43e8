package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"meshdrop/core/jobs"
	"meshdrop/core/library"
	"meshdrop/core/provider"
)

func init() {
	Register(Command{
		Name:    "generate",
		Summary: "make a 3D model from a prompt or images",
		Usage: `Usage: meshdrop generate --provider P [--key NAME] (--prompt TEXT | --image FILE …) [--set name=value …] [--wait] [--json]

  --provider P      the service: ` + strings.Join(provider.IDs, ", ") + `
  --key NAME        the key to use; may be left out when the provider has exactly one key (or needs none)
  --prompt TEXT     what to make
  --image FILE      an input image (repeat for several; SLOT=FILE for a named view such as front=a.png)
  --set name=value  a provider option (repeat); 'meshdrop providers show P' lists them
  --name TEXT       a display name for the gallery
  --tag TAG         a tag (repeat)
  --wait            follow the job to its end (a progress bar on a terminal)
  --json            one JSON object per line

Without --wait the job is sent, its ID printed once the provider has taken it,
and it carries on in the background of the next Meshdrop process
('meshdrop jobs wait ID' follows it). Exit codes: 0 done (or sent, without
--wait), 1 failed or cancelled, 2 bad arguments, 3 no usable key, 5 submission
unknown or left unfinished.`,
		Run: runGenerate,
	})
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// maxInputImage is the largest input image read from disk.
const maxInputImage = 64 << 20

func runGenerate(e *Env, args []string) int {
	fs := newFlags(e, "generate")
	prov := fs.String("provider", "", "the service")
	key := fs.String("key", "", "the key's name")
	prompt := fs.String("prompt", "", "what to make")
	name := fs.String("name", "", "display name")
	wait := fs.Bool("wait", false, "follow the job to its end")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	var images, sets, tags multiFlag
	fs.Var(&images, "image", "input image (repeat)")
	fs.Var(&sets, "set", "provider option name=value (repeat)")
	fs.Var(&tags, "tag", "tag (repeat)")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) > 0 {
		e.Errorf("unexpected argument %q; give the prompt with --prompt \"…\"", pos[0])
		return ExitUsage
	}
	if *prov == "" {
		*prov = e.Settings.DefaultProvider
		if *prov == "" {
			e.Errorf("choose a service with --provider (one of %s)", strings.Join(provider.IDs, ", "))
			return ExitUsage
		}
	}
	if *prompt == "" && len(images) == 0 {
		e.Errorf("give --prompt TEXT or at least one --image FILE")
		return ExitUsage
	}
	opts := map[string]string{}
	for k, v := range e.Settings.DefaultOptions[*prov] {
		opts[k] = v
	}
	set, err := provider.ParseSet(sets)
	if err != nil {
		e.Errorf("%v", err)
		return ExitUsage
	}
	for k, v := range set {
		opts[k] = v
	}
	if len(opts) == 0 {
		opts = nil
	}
	var imgs []provider.Image
	for _, arg := range images {
		im, err := readImage(arg)
		if err != nil {
			e.Errorf("%v", err)
			return ExitNotFound
		}
		imgs = append(imgs, im)
	}
	r, code := openRunner(e)
	if r == nil {
		return code
	}
	j, err := r.Submit(e.Ctx, jobs.Spec{Provider: *prov, Key: *key, Prompt: *prompt, Images: imgs, Options: opts, Tags: tags, Name: *name})
	if err != nil {
		e.Errorf("%v", err)
		return submitExit(err)
	}
	if *wait {
		return exitFor(e, follow(e, r, []string{j.ID}, *asJSON))
	}
	// Stay until the provider has answered the create, so the printed ID is
	// a task at the provider (or the reason it is not).
	j, werr := r.WaitUntil(e.Ctx, j.ID, jobs.Accepted)
	if *asJSON {
		ev := jobEvent{ID: j.ID, State: j.State, Progress: j.Progress, QueuePosition: j.QueuePosition}
		if j.Error != nil {
			ev.Error = j.Error.Message
		}
		_ = printJSONLine(e.Stdout, ev)
	} else {
		fmt.Fprintln(e.Stdout, j.ID)
	}
	switch {
	case werr != nil && errors.Is(werr, context.Canceled):
		explain(e.Stderr, j)
		return ExitUnknown
	case j.State == library.StateFailed || j.State == library.StateCancelled || j.State == library.StateUnknown:
		if !*asJSON {
			explain(e.Stderr, j)
		}
		return exitFor(e, []library.Job{j})
	case !jobs.Accepted(j):
		explain(e.Stderr, j)
		return ExitUnknown
	}
	if !*asJSON && !j.State.Finished() {
		fmt.Fprintf(e.Stderr, "Sent. Follow it with 'meshdrop jobs wait %s'.\n", j.ID)
	}
	return ExitOK
}

// submitExit maps a refused submission to an exit code.
func submitExit(err error) int {
	switch {
	case errors.Is(err, jobs.ErrNeedKey):
		return ExitNoKey
	case errors.Is(err, jobs.ErrChooseKey), errors.Is(err, jobs.ErrBadRequest):
		return ExitUsage
	case provider.KindOf(err) == provider.ErrInvalidInput:
		return ExitUsage
	}
	return ExitFailure
}

// readImage reads "FILE" or "SLOT=FILE" (a named view such as front=a.png).
func readImage(arg string) (provider.Image, error) {
	slot, path := "", arg
	if s, p, ok := strings.Cut(arg, "="); ok && s != "" && !strings.ContainsAny(s, `/\.`) {
		if _, err := os.Stat(arg); err != nil { // a file really named "a=b" wins
			slot, path = s, p
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return provider.Image{}, fmt.Errorf("cannot read image %s: %w", path, err)
	}
	if fi.Size() > maxInputImage {
		return provider.Image{}, fmt.Errorf("image %s is %d MB; Meshdrop takes images up to %d MB", path, fi.Size()>>20, maxInputImage>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return provider.Image{}, fmt.Errorf("cannot read image %s: %w", path, err)
	}
	mime := http.DetectContentType(data)
	if !strings.HasPrefix(mime, "image/") {
		return provider.Image{}, fmt.Errorf("%s is not an image (it looks like %s); use PNG, JPEG or WebP", path, mime)
	}
	return provider.Image{Name: filepath.Base(path), Slot: slot, MIME: mime, Data: data}, nil
}
