package handlers

import (
	"fmt"
	"time"

	"atelier/db"
)

// generationJSON is a job as the JSON API shows it.
type generationJSON struct {
	ID            int64       `json:"id"`
	Status        string      `json:"status"`
	Reason        string      `json:"reason,omitempty"`
	Model         string      `json:"model"`
	Prompt        string      `json:"prompt"`
	AspectRatio   string      `json:"aspect_ratio"`
	Size          string      `json:"size"`
	Count         int         `json:"count"`
	Seed          *int64      `json:"seed,omitempty"` // absent: random (stored as 0)
	QueuePosition *int        `json:"queue_position,omitempty"`
	ETASeconds    *int64      `json:"eta_seconds,omitempty"`
	Note          string      `json:"note,omitempty"`
	Images        []imageJSON `json:"images"`
	Tokens        int64       `json:"tokens"`
	USD           string      `json:"usd"`
	CreatedAt     time.Time   `json:"created_at"`
	StartedAt     *time.Time  `json:"started_at,omitempty"`
	FinishedAt    *time.Time  `json:"finished_at,omitempty"`
}

// imageJSON is an image as the JSON API shows it.
type imageJSON struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url"`       // the bytes, with the API key
	ThumbURL    string    `json:"thumb_url"` // a JPEG thumbnail, with the API key
	PageURL     string    `json:"page_url"`  // the image's page, for a browser
	MIME        string    `json:"mime,omitempty"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	SHA256      string    `json:"sha256"`
	JobID       int64     `json:"generation_id,omitempty"`
	Author      string    `json:"author,omitempty"`
	Model       string    `json:"model,omitempty"`
	Prompt      string    `json:"prompt,omitempty"`
	AspectRatio string    `json:"aspect_ratio,omitempty"`
	Size        string    `json:"size,omitempty"`
	Seed        int64     `json:"seed,omitempty"` // absent: random
	CreatedAt   time.Time `json:"created_at,omitzero"`
}

// imageURLs fills an image's links from its id.
func imageURLs(v *imageJSON) {
	v.URL = fmt.Sprintf("/api/v1/images/%d/content", v.ID)
	v.ThumbURL = v.URL + "?thumb=1"
	v.PageURL = fmt.Sprintf("/images/%d", v.ID)
}

// generationJSON adds live progress to a job.
func (s *Server) generationJSON(j db.Job) generationJSON {
	v := generationJSON{ID: j.ID, Status: j.Status, Reason: j.Reason, Model: j.Model,
		Prompt: j.Prompt, AspectRatio: j.AspectRatio, Size: j.Size, Count: j.Count,
		Seed: seedOrNil(j.Seed), Images: []imageJSON{}, Tokens: j.SpentTokens,
		USD: db.USD(j.SpentMicros), CreatedAt: j.CreatedAt,
		StartedAt: timeOrNil(j.StartedAt), FinishedAt: timeOrNil(j.FinishedAt)}
	for _, im := range j.Images {
		iv := imageJSON{ID: im.ID, Width: im.Width, Height: im.Height, SHA256: im.SHA256}
		imageURLs(&iv)
		v.Images = append(v.Images, iv)
	}
	if !j.Active() {
		return v
	}

	p := s.runner.Progress(j)
	v.Note = p.Note
	if p.Position >= 0 {
		eta := int64(p.ETA.Round(time.Second) / time.Second)
		v.QueuePosition, v.ETASeconds = &p.Position, &eta
	}
	return v
}

// imageRecordJSON is a stored image's full record.
func imageRecordJSON(im db.Image) imageJSON {
	v := imageJSON{ID: im.ID, MIME: im.MIME, Width: im.Width, Height: im.Height,
		SHA256: im.SHA256, JobID: im.JobID, Author: im.Author, Model: im.Model,
		Prompt: im.Prompt, AspectRatio: im.AspectRatio, Size: im.Size, Seed: im.Seed,
		CreatedAt: im.CreatedAt}
	imageURLs(&v)
	return v
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// seedOrNil reports a job's seed, or nil for a random one: the form
// stores "no seed" as 0, which the API shows as no seed at all rather
// than as a seed a script could reuse.
func seedOrNil(seed int64) *int64 {
	if seed == 0 {
		return nil
	}
	return &seed
}
