package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestProvidersListsOptions(t *testing.T) {
	e, out, errb := libEnv(t)
	if code := Run(e, []string{"providers"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	s := out.String()
	for _, want := range []string{"rodin (", "starts from: text, image, multi-image (up to 5)", "tier", "Regular|Sketch", "seed", "0…65535", "default medium"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

func TestProvidersJSON(t *testing.T) {
	e, out, errb := libEnv(t)
	if code := Run(e, []string{"providers", "--json"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var views []struct {
		ID           string
		Capabilities struct {
			Modes   []string
			Options []struct {
				Name, Type, Default string
				Min, Max            *float64
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &views); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	found := false
	for _, v := range views {
		if v.ID != "rodin" {
			continue
		}
		found = true
		for _, o := range v.Capabilities.Options {
			if o.Name == "seed" && (o.Type != "int" || o.Min == nil || *o.Max != 65535) {
				t.Errorf("seed option %+v", o)
			}
		}
	}
	if !found {
		t.Fatalf("rodin missing: %s", out)
	}
	if code := Run(e, []string{"providers", "--yaml"}); code != ExitUsage {
		t.Fatalf("bad flag exit %d", code)
	}
}
