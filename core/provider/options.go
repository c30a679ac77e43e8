package provider

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ParseSet reads CLI "--set name=value" arguments into an options map.
func ParseSet(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		name, value, ok := strings.Cut(a, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("option %q is not name=value (for example --set target_polycount=30000)", a)
		}
		out[name] = value
	}
	return out, nil
}

// Option returns the named option.
func (c Capabilities) Option(name string) (Option, bool) {
	for _, o := range c.Options {
		if o.Name == name {
			return o, true
		}
	}
	return Option{}, false
}

// AppliesTo reports whether the option is used in mode.
func (o Option) AppliesTo(mode Mode) bool {
	return len(o.Modes) == 0 || slices.Contains(o.Modes, mode)
}

// Defaults returns every option's default for mode (options without a default are left out).
func (c Capabilities) Defaults(mode Mode) map[string]string {
	out := map[string]string{}
	for _, o := range c.Options {
		if o.AppliesTo(mode) && o.Default != "" {
			out[o.Name] = o.Default
		}
	}
	return out
}

// ValidateOptions checks opts against the capabilities for mode: known names,
// the right type, inside the range, one of the choices. The error is an
// ErrInvalidInput *Error naming the field; provider is the display name.
func (c Capabilities) ValidateOptions(provider string, mode Mode, opts map[string]string) error {
	names := make([]string, 0, len(opts))
	for n := range opts {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		v := opts[name]
		o, ok := c.Option(name)
		if !ok {
			known := make([]string, 0, len(c.Options))
			for _, o := range c.Options {
				known = append(known, o.Name)
			}
			return &Error{Kind: ErrInvalidInput, Provider: provider, Field: name, Message: fmt.Sprintf("unknown option; known options: %s", strings.Join(known, ", "))}
		}
		if !o.AppliesTo(mode) {
			return &Error{Kind: ErrInvalidInput, Provider: provider, Field: name, Message: fmt.Sprintf("not used for %s requests", mode)}
		}
		if err := o.Check(v); err != nil {
			return &Error{Kind: ErrInvalidInput, Provider: provider, Field: name, Message: err.Error()}
		}
	}
	return nil
}

// Check validates one value against the option.
func (o Option) Check(v string) error {
	switch o.Type {
	case OptBool:
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
	case OptInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		return o.checkRange(float64(n))
	case OptFloat:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
		return o.checkRange(n)
	case OptEnum:
		if !slices.Contains(o.Choices, v) {
			return fmt.Errorf("%q is not one of %s", v, quoteList(o.Choices))
		}
	}
	return nil
}

func (o Option) checkRange(n float64) error {
	if o.Min != nil && n < *o.Min {
		return fmt.Errorf("%v is below the minimum %v", n, *o.Min)
	}
	if o.Max != nil && n > *o.Max {
		return fmt.Errorf("%v is above the maximum %v", n, *o.Max)
	}
	return nil
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// Float returns a pointer to v, for Option.Min and Option.Max.
func Float(v float64) *float64 { return &v }

// OptBoolValue reads a bool option, def when absent or unreadable.
func OptBoolValue(opts map[string]string, name string, def bool) bool {
	if v, ok := opts[name]; ok {
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return def
}

// OptIntValue reads an int option; ok=false when absent or unreadable.
func OptIntValue(opts map[string]string, name string) (int, bool) {
	v, ok := opts[name]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}
