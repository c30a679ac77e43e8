package meshy

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// Task statuses (providers.md, Meshy: retrieve).
const (
	statusPending    = "PENDING"
	statusInProgress = "IN_PROGRESS"
	statusSucceeded  = "SUCCEEDED"
	statusFailed     = "FAILED"
	statusCanceled   = "CANCELED"
)

// task is a Meshy task object as GET …/{id}, the list and the stream's last
// frame return it. Fields absent from an answer keep their zero values.
type task struct {
	ID             string              `json:"id"`
	Type           string              `json:"type"`
	Status         string              `json:"status"`
	Progress       float64             `json:"progress"`
	PrecedingTasks int                 `json:"preceding_tasks"`
	CreatedAt      int64               `json:"created_at"`
	StartedAt      int64               `json:"started_at"`
	FinishedAt     int64               `json:"finished_at"`
	ExpiresAt      int64               `json:"expires_at"`
	ModelURLs      map[string]string   `json:"model_urls"`
	ThumbnailURL   string              `json:"thumbnail_url"`
	TextureURLs    []map[string]string `json:"texture_urls"`
	TaskError      *taskError          `json:"task_error"`
	Credits        float64             `json:"consumed_credits"`
	// Prompt is not among the fields providers.md lists; Meshy's text-to-3d
	// objects carry it. Used only to narrow reconciliation when present.
	Prompt string `json:"prompt"`
}

type taskError struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// parseTask decodes a task object.
func parseTask(b []byte) (task, error) {
	var t task
	if err := json.Unmarshal(b, &t); err != nil {
		return task{}, fmt.Errorf("task is not the expected JSON: %w", err)
	}
	return t, nil
}

// msTime reads a millisecond timestamp (0 = not yet).
func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// state normalises a Meshy status; unknown strings are still running.
func state(s string) provider.State {
	switch s {
	case statusPending:
		return provider.StateQueued
	case statusSucceeded:
		return provider.StateSucceeded
	case statusFailed:
		return provider.StateFailed
	case statusCanceled:
		return provider.StateCancelled
	}
	return provider.StateRunning
}

// status turns a task into a normalised status (without Err: the adapter
// adds the typed error for a failed task).
func (t task) status() provider.Status {
	st := provider.Status{State: state(t.Status), Progress: clampProgress(t.Progress), Credits: t.Credits, ExpiresAt: msTime(t.ExpiresAt)}
	switch st.State {
	case provider.StateQueued:
		st.QueuePosition = max(t.PrecedingTasks, 0)
	case provider.StateSucceeded:
		st.Progress = 100
		st.Outputs = t.outputs()
	case provider.StateFailed:
		if t.TaskError != nil {
			st.Message = t.TaskError.Message
		}
		if st.Message == "" {
			st.Message = "the task failed without a message"
		}
	}
	// No ETA is documented for Meshy.
	return st
}

func clampProgress(p float64) float64 {
	if p != p || p < 0 { // NaN or negative
		return 0
	}
	return min(p, 100)
}

// modelFormats is the order model files are listed in; the rest follow sorted.
var modelFormats = []string{"glb", "fbx", "obj", "mtl", "usdz", "stl", "3mf"}

// textureChannels is the documented order of texture_urls entries' keys.
var textureChannels = []string{"base_color", "metallic", "normal", "roughness", "emission"}

// outputs lists the result files: the GLB model, the other formats, the
// preview image and the textures. Names are built here, never taken from URLs.
func (t task) outputs() []provider.Output {
	var outs []provider.Output
	keys := make([]string, 0, len(t.ModelURLs))
	for k := range t.ModelURLs {
		keys = append(keys, k)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		return formatRank(keys[i]) < formatRank(keys[j]) || formatRank(keys[i]) == formatRank(keys[j]) && keys[i] < keys[j]
	})
	for _, k := range keys {
		u := t.ModelURLs[k]
		f := httpx.SafeToken(k)
		if u == "" || f == "" {
			continue
		}
		kind := provider.OutOther
		if f == "glb" {
			kind = provider.OutModel
		}
		outs = append(outs, provider.Output{Kind: kind, Format: f, Name: "model." + f, URL: u})
	}
	if t.ThumbnailURL != "" {
		f := httpx.URLExt(t.ThumbnailURL, "png")
		outs = append(outs, provider.Output{Kind: provider.OutPreview, Format: f, Name: "preview." + f, URL: t.ThumbnailURL})
	}
	for i, m := range t.TextureURLs {
		for _, ch := range textureChannels {
			if u := m[ch]; u != "" {
				f := httpx.URLExt(u, "png")
				outs = append(outs, provider.Output{Kind: provider.OutTexture, Format: f, Name: fmt.Sprintf("texture%d_%s.%s", i, ch, f), URL: u})
			}
		}
	}
	return outs
}

func formatRank(f string) int {
	for i, v := range modelFormats {
		if v == f {
			return i
		}
	}
	return len(modelFormats)
}

// hasModel reports whether the outputs include the GLB model.
func hasModel(outs []provider.Output) bool {
	for _, o := range outs {
		if o.Kind == provider.OutModel {
			return true
		}
	}
	return false
}
