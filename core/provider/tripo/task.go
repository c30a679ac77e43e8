package tripo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// Task statuses (providers.md, Tripo: task).
const (
	statusQueued    = "queued"
	statusRunning   = "running"
	statusSuccess   = "success"
	statusFailed    = "failed"
	statusCancelled = "cancelled"
	statusBanned    = "banned"  // older servers
	statusExpired   = "expired" // older servers
)

// flexFloat reads a decimal sent as a JSON number or a string.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			return nil
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("decimal %q: %w", s, err)
		}
		*f = flexFloat(v)
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = flexFloat(v)
	return nil
}

// flexURL reads a URL sent as a string or as an object {"url":…}.
type flexURL string

func (u *flexURL) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*u = flexURL(s)
		return nil
	}
	var o struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(b, &o) == nil {
		*u = flexURL(o.URL)
	}
	return nil // anything else: no URL
}

// flexCode reads an error code sent as a number or a string.
type flexCode int

func (c *flexCode) UnmarshalJSON(b []byte) error {
	var f flexFloat
	if err := f.UnmarshalJSON(b); err == nil {
		*c = flexCode(int(f))
	}
	return nil
}

// task is GET /tasks/{id}'s data (and one entry of the batch read).
type task struct {
	TaskID   string    `json:"task_id"`
	Type     string    `json:"type"`
	Status   string    `json:"status"`
	Progress flexFloat `json:"progress"`
	Output   struct {
		ModelURL flexURL `json:"model_url"`
		// Older servers: pick pbr_model, then model, then base_model.
		PBRModel  flexURL `json:"pbr_model"`
		Model     flexURL `json:"model"`
		BaseModel flexURL `json:"base_model"`
		Rendered  flexURL `json:"rendered_image_url"`
		// Older servers also call it rendered_image.
		RenderedOld flexURL `json:"rendered_image"`
	} `json:"output"`
	Credits      flexFloat `json:"credits_consumed"`
	CreatedAt    string    `json:"created_at"`
	CompletedAt  string    `json:"completed_at"`
	ErrorCode    flexCode  `json:"error_code"`
	ErrorMessage string    `json:"error_message"`
	ErrorMsg     string    `json:"error_msg"` // older name
}

// parseTask reads a task envelope's data.
func parseTask(data []byte) (task, error) {
	var t task
	if err := json.Unmarshal(data, &t); err != nil {
		return task{}, fmt.Errorf("task is not the expected JSON: %w", err)
	}
	return t, nil
}

// state normalises a status; values not in the docs are still running.
func state(s string) provider.State {
	switch strings.ToLower(s) {
	case statusQueued:
		return provider.StateQueued
	case statusSuccess:
		return provider.StateSucceeded
	case statusFailed, statusBanned, statusExpired:
		return provider.StateFailed
	case statusCancelled:
		return provider.StateCancelled
	}
	return provider.StateRunning
}

// LinkLifetime is how long result links are taken to live. The SDK READMEs
// say 5 minutes, a third-party guide 24 hours: the shorter is assumed, and
// an expired link is renewed by reading the task again.
const LinkLifetime = 5 * time.Minute

// modelURL picks the model link: model_url, else (older servers) pbr_model,
// model, base_model in that order.
func (t task) modelURL() string {
	for _, u := range []flexURL{t.Output.ModelURL, t.Output.PBRModel, t.Output.Model, t.Output.BaseModel} {
		if u != "" {
			return string(u)
		}
	}
	return ""
}

func (t task) message() string {
	m := t.ErrorMessage
	if m == "" {
		m = t.ErrorMsg
	}
	return m
}

// status turns a task into a normalised status (Err is set by the adapter).
func (t task) status(now time.Time) provider.Status {
	p := float64(t.Progress)
	if p != p || p < 0 {
		p = 0
	}
	st := provider.Status{State: state(t.Status), Progress: min(p, 100), Credits: max(float64(t.Credits), 0)}
	if st.Credits != st.Credits {
		st.Credits = 0
	}
	switch st.State {
	case provider.StateSucceeded:
		st.Progress = 100
		if u := t.modelURL(); u != "" {
			f := httpx.URLExt(u, "glb")
			kind := provider.OutModel
			if f != "glb" {
				// quad:true makes FBX; Meshdrop's gallery needs GLB.
				kind = provider.OutOther
			}
			st.Outputs = append(st.Outputs, provider.Output{Kind: kind, Format: f, Name: "model." + f, URL: u})
		}
		img := t.Output.Rendered
		if img == "" {
			img = t.Output.RenderedOld
		}
		if img != "" {
			f := httpx.URLExt(string(img), "webp")
			st.Outputs = append(st.Outputs, provider.Output{Kind: provider.OutPreview, Format: f, Name: "preview." + f, URL: string(img)})
		}
		st.ExpiresAt = now.Add(LinkLifetime)
	case provider.StateFailed:
		st.Message = t.message()
		switch strings.ToLower(t.Status) {
		case statusBanned:
			if st.Message == "" {
				st.Message = "the task was banned under the content policy"
			}
		case statusExpired:
			if st.Message == "" {
				st.Message = "the task expired at Tripo"
			}
		}
		if st.Message == "" {
			st.Message = "the task failed without a message"
			if t.ErrorCode != 0 {
				st.Message = fmt.Sprintf("the task failed with code %d", t.ErrorCode)
			}
		}
	}
	return st
}

// batchData is POST /tasks/list's data: "tasks" as a list (the SDKs) or a
// map by ID with "missed" (the migration guide). Both are accepted.
type batchData struct {
	Tasks  json.RawMessage `json:"tasks"`
	Missed []string        `json:"missed"`
}

// parseBatch returns the tasks by ID and the IDs the server did not find.
func parseBatch(data []byte) (map[string]task, []string, error) {
	var d batchData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, nil, fmt.Errorf("batch answer is not the expected JSON: %w", err)
	}
	out := map[string]task{}
	raw := bytes.TrimSpace(d.Tasks)
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '[':
		var list []task
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, nil, fmt.Errorf("batch tasks list: %w", err)
		}
		for _, t := range list {
			if t.TaskID != "" {
				out[t.TaskID] = t
			}
		}
	case raw[0] == '{':
		var m map[string]task
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, nil, fmt.Errorf("batch tasks map: %w", err)
		}
		for id, t := range m {
			if t.TaskID == "" {
				t.TaskID = id
			}
			out[id] = t
		}
	default:
		return nil, nil, fmt.Errorf("batch tasks is neither a list nor a map")
	}
	return out, d.Missed, nil
}
