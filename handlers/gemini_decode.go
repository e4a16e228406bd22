package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The request bodies of Google's image protocols, as the real API reads
// them. Only the fields Atelier uses are typed; other fields the official
// clients may send (safety settings, tools, temperature, …) are accepted
// and ignored, because refusing them would break clients that set them
// by default. A typed field of the wrong JSON type is a 400, as upstream.

// protoInt is an integer as protobuf's JSON mapping accepts it: a JSON
// number or a string holding one.
type protoInt struct {
	set bool
	v   int64
}

// UnmarshalJSON accepts 42 and "42", and refuses anything else.
func (p *protoInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		return nil
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, `"`), `"`)
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return fmt.Errorf("invalid value %s for an int32 field", b)
	}
	p.set, p.v = true, v
	return nil
}

// genContentRequest is a generateContent body.
type genContentRequest struct {
	Contents []struct {
		Role  string `json:"role"`
		Parts []struct {
			Text       *string         `json:"text"`
			InlineData json.RawMessage `json:"inlineData"`
			FileData   json.RawMessage `json:"fileData"`
		} `json:"parts"`
	} `json:"contents"`
	GenerationConfig *struct {
		CandidateCount protoInt `json:"candidateCount"`
		Seed           protoInt `json:"seed"`
		ImageConfig    *struct {
			AspectRatio string `json:"aspectRatio"`
			ImageSize   string `json:"imageSize"`
		} `json:"imageConfig"`
	} `json:"generationConfig"`
}

// predictRequest is an Imagen :predict body.
type predictRequest struct {
	Instances []struct {
		Prompt string `json:"prompt"`
	} `json:"instances"`
	Parameters *struct {
		SampleCount     protoInt `json:"sampleCount"`
		AspectRatio     string   `json:"aspectRatio"`
		SampleImageSize string   `json:"sampleImageSize"`
		Seed            protoInt `json:"seed"`
	} `json:"parameters"`
}

// errBadPayload wraps what is wrong with a body, for a 400.
type errBadPayload struct{ msg string }

func (e errBadPayload) Error() string { return e.msg }

// decodePayload unmarshals body into v with Google's wording for the
// errors.
func decodePayload(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		return errBadPayload{fmt.Sprintf("Invalid JSON payload received. Invalid value "+
			"at '%s' (%s), expected %s.", te.Field, te.Value, te.Type)}
	default:
		return errBadPayload{"Invalid JSON payload received. " + err.Error()}
	}
}

// genContentForm reads a generateContent body into the studio form.
func genContentForm(model string, body []byte) (promptForm, error) {
	var g genContentRequest
	if err := decodePayload(body, &g); err != nil {
		return promptForm{}, err
	}
	f := promptForm{Model: model, Count: "1", AspectRatio: "1:1"}

	// The prompt is the text of every part; images in are not supported.
	var prompt strings.Builder
	for _, c := range g.Contents {
		for _, p := range c.Parts {
			if p.InlineData != nil || p.FileData != nil {
				return f, errBadPayload{"Atelier makes images from text only; " +
					"image and file parts are not supported."}
			}
			if p.Text != nil {
				prompt.WriteString(*p.Text)
			}
		}
	}
	f.Prompt = strings.TrimSpace(prompt.String())
	if f.Prompt == "" {
		return f, errBadPayload{"contents is not specified"}
	}

	if gc := g.GenerationConfig; gc != nil {
		if gc.CandidateCount.set && gc.CandidateCount.v > 1 {
			return f, errBadPayload{"Multiple candidates is not enabled for models/" + model}
		}
		if gc.Seed.set {
			f.Seed = strconv.FormatInt(gc.Seed.v, 10)
		}
		if ic := gc.ImageConfig; ic != nil {
			f.AspectRatio = orDefault(ic.AspectRatio, f.AspectRatio)
			f.Size = strings.ToUpper(ic.ImageSize)
		}
	}
	return f, nil
}

// predictForm reads a :predict body into the studio form. As upstream,
// sampleCount defaults to 4.
func predictForm(model string, body []byte) (promptForm, error) {
	var p predictRequest
	if err := decodePayload(body, &p); err != nil {
		return promptForm{}, err
	}
	if len(p.Instances) != 1 || strings.TrimSpace(p.Instances[0].Prompt) == "" {
		return promptForm{}, errBadPayload{"instances[0].prompt is required"}
	}
	f := promptForm{Model: model, Prompt: strings.TrimSpace(p.Instances[0].Prompt),
		Count: "4", AspectRatio: "1:1"}
	if pr := p.Parameters; pr != nil {
		if pr.SampleCount.set {
			f.Count = strconv.FormatInt(pr.SampleCount.v, 10)
		}
		if pr.Seed.set {
			f.Seed = strconv.FormatInt(pr.Seed.v, 10)
		}
		f.AspectRatio = orDefault(pr.AspectRatio, f.AspectRatio)
		f.Size = strings.ToUpper(pr.SampleImageSize)
	}
	return f, nil
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
