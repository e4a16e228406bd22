package main

import (
	"context"
	"log/slog"

	"atelier/imagegen"
)

// addGoogle adds the Gemini and Imagen providers.
func addGoogle(ctx context.Context, cfg config, ps map[imagegen.Protocol]imagegen.Provider,
	log *slog.Logger) (map[imagegen.Protocol]imagegen.Provider, string, error) {
	return ps, "offline renderer", nil
}
