package imagegen

import (
	"strings"
	"testing"
)

func TestLoadCatalogPatchesAndAdds(t *testing.T) {
	const file = `[
	  {"id": "imagen-4.0-generate-001", "price_per_image": 30000},
	  {"id": "gemini-3-pro-image-preview", "token_weights": {"2K": 6}},
	  {"id": "local-sd", "name": "Local SD", "protocol": "imagen",
	   "group": "gpu", "price_per_image": 1000, "sizes": ["1K"],
	   "aspect_ratios": ["1:1"], "max_images_per_call": 2}
	]`
	c, err := LoadCatalog(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}

	// A patched price keeps every other default field.
	im, _ := c.Lookup("imagen-4.0-generate-001")
	if im.PricePerImage != 30_000 || im.Name != "Imagen 4" || len(im.Sizes) != 2 {
		t.Errorf("patched imagen = %+v", im)
	}

	// A patched map entry leaves the other sizes alone.
	pro, _ := c.Lookup("gemini-3-pro-image-preview")
	if pro.Weight("2K") != 6 || pro.Weight("1K") != 1 {
		t.Errorf("patched weights = %v", pro.TokenWeights)
	}

	// A new model comes last, and the defaults are untouched.
	ms := c.Models()
	if last := ms[len(ms)-1]; last.ID != "local-sd" || last.Group != "gpu" ||
		last.Weight("1K") != 1 {
		t.Errorf("added model = %+v", last)
	}
	def, _ := DefaultCatalog().Lookup("gemini-3-pro-image-preview")
	if def.Weight("2K") != 4 {
		t.Error("loading a catalog changed the defaults")
	}
}

func TestLoadCatalogErrors(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"not json", `{`, "model catalog"},
		{"not a list", `{"id": "x"}`, "cannot unmarshal"},
		{"empty id", `[{"id": "  ", "protocol": "imagen"}]`, "empty id"},
		{"missing id", `[{"protocol": "imagen"}]`, "empty id"},
		{"unknown protocol", `[{"id": "x", "protocol": "dalle",
			"sizes": ["1K"], "aspect_ratios": ["1:1"]}]`, "unknown protocol"},
		{"negative price", `[{"id": "imagen-4.0-generate-001",
			"price_per_image": -1}]`, "negative price"},
		{"negative token price", `[{"id": "gemini-2.5-flash-image",
			"price_image_out_per_m": -5}]`, "negative price"},
		{"no aspect ratios", `[{"id": "offline", "aspect_ratios": []}]`,
			"no aspect ratios"},
		{"bad aspect ratio", `[{"id": "offline", "aspect_ratios": ["wide"]}]`,
			"not W:H"},
		{"no sizes", `[{"id": "x", "protocol": "imagen",
			"aspect_ratios": ["1:1"]}]`, "no sizes"},
		{"size without weight", `[{"id": "offline", "sizes": ["1K", "4K"]}]`,
			`"4K" has no positive token weight`},
		{"gemini size without estimate", `[{"id": "gemini-2.5-flash-image",
			"sizes": ["1K", "2K"]}]`, `"2K" has no positive output token`},
		{"misspelt field", `[{"id": "offline", "price_per_imgae": 5}]`,
			"unknown field"},
		{"listed twice", `[{"id": "offline"}, {"id": "offline"}]`,
			"listed twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCatalog(strings.NewReader(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
