package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"meshdrop/core/provider"
)

func init() {
	Register(Command{
		Name:    "providers",
		Summary: "list the generation services, what they accept and their options",
		Usage: `Usage: meshdrop providers [--json]

Lists every provider Meshdrop can use: its ID (for --provider), what a request
may start from (text, one image, several images and their named slots), whether
it needs a key, and each option with its type, range or choices and default
(for --set name=value). --json prints one JSON array instead, for scripts.`,
		Run: runProviders,
	})
}

// providerView is one provider in "meshdrop providers --json".
type providerView struct {
	ID               string                `json:"id"`
	Name             string                `json:"name"`
	PollEverySeconds float64               `json:"poll_every_seconds"`
	Capabilities     provider.Capabilities `json:"capabilities"`
}

func runProviders(e *Env, args []string) int {
	asJSON := false
	for _, a := range args {
		switch a {
		case "--json", "-json":
			asJSON = true
		default:
			e.Errorf("unknown argument %q; usage: meshdrop providers [--json]", a)
			return ExitUsage
		}
	}
	reg, err := e.Providers()
	if err != nil {
		e.Errorf("%v", err)
		return ExitFailure
	}
	ps := reg.All()
	if asJSON {
		views := make([]providerView, 0, len(ps))
		for _, p := range ps {
			c := p.Capabilities()
			views = append(views, providerView{ID: p.ID(), Name: p.DisplayName(), PollEverySeconds: c.PollEvery.Seconds(), Capabilities: c})
		}
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(views); err != nil {
			e.Errorf("writing the list failed: %v", err)
			return ExitFailure
		}
		return ExitOK
	}
	for i, p := range ps {
		if i > 0 {
			fmt.Fprintln(e.Stdout)
		}
		writeProvider(e, p)
	}
	return ExitOK
}

func writeProvider(e *Env, p provider.Provider) {
	c := p.Capabilities()
	fmt.Fprintf(e.Stdout, "%s (%s)\n", p.ID(), p.DisplayName())
	modes := make([]string, 0, len(c.Modes))
	for _, m := range c.Modes {
		s := string(m)
		switch {
		case m == provider.ModeMultiImage && len(c.ImageSlots) > 0:
			s += " (" + strings.Join(c.ImageSlots, ", ") + ")"
		case m == provider.ModeMultiImage && c.MaxImages > 0:
			s += fmt.Sprintf(" (up to %d)", c.MaxImages)
		}
		modes = append(modes, s)
	}
	fmt.Fprintf(e.Stdout, "  starts from: %s\n", strings.Join(modes, ", "))
	if len(c.Stages) > 0 {
		fmt.Fprintf(e.Stdout, "  stages:      %s\n", strings.Join(c.Stages, " → "))
	}
	var facts []string
	if c.NeedsKey {
		facts = append(facts, "needs a key")
	} else {
		facts = append(facts, "no key needed")
	}
	yes := map[bool]string{true: "yes", false: "no"}
	facts = append(facts, "balance: "+yes[c.CanBalance], "live progress: "+yes[c.CanStream], "cancel: "+yes[c.CanCancel])
	if c.PromptMaxLen > 0 {
		facts = append(facts, fmt.Sprintf("prompt ≤ %d characters", c.PromptMaxLen))
	}
	fmt.Fprintf(e.Stdout, "  %s\n", strings.Join(facts, "; "))
	if len(c.Options) == 0 {
		return
	}
	fmt.Fprintln(e.Stdout, "  options (--set name=value):")
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	for _, o := range c.Options {
		def := o.Default
		if def == "" {
			def = "(the provider's)" // not sent unless set
		}
		line := fmt.Sprintf("    %s\t%s\t%s\tdefault %s", o.Name, o.Type, optionRange(o), def)
		if len(o.Modes) > 0 {
			ms := make([]string, len(o.Modes))
			for i, m := range o.Modes {
				ms[i] = string(m)
			}
			line += "\tonly " + strings.Join(ms, ", ")
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// optionRange describes the values an option takes.
func optionRange(o provider.Option) string {
	switch o.Type {
	case provider.OptEnum:
		cs := make([]string, len(o.Choices))
		for i, c := range o.Choices {
			if c == "" {
				c = `""`
			}
			cs[i] = c
		}
		return strings.Join(cs, "|")
	case provider.OptInt, provider.OptFloat:
		num := func(p *float64) string {
			if p == nil {
				return ""
			}
			return strconv.FormatFloat(*p, 'f', -1, 64)
		}
		switch {
		case o.Min == nil && o.Max == nil:
			return "any"
		case o.Max == nil:
			return "≥ " + num(o.Min)
		case o.Min == nil:
			return "≤ " + num(o.Max)
		}
		return num(o.Min) + "…" + num(o.Max)
	case provider.OptBool:
		return "true|false"
	}
	return "text"
}
