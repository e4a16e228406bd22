package main

import (
	"context"
	"log/slog"

	"atelier/imagegen"
)

// addGoogle adds the Gemini and Imagen providers. With a Vertex token and
// project, Imagen goes through Vertex; otherwise through the Gemini API
// with the same key as the Gemini models.
func addGoogle(ctx context.Context, cfg config, ps map[imagegen.Protocol]imagegen.Provider,
	log *slog.Logger) (map[imagegen.Protocol]imagegen.Provider, string, error) {
	name := "google"
	if cfg.GeminiKey != "" {
		g, err := imagegen.NewGemini(ctx, imagegen.GeminiConfig{
			APIKey: cfg.GeminiKey, BaseURL: cfg.GeminiBaseURL})
		if err != nil {
			return nil, "", err
		}
		ps[imagegen.ProtocolGemini] = g
		name = "gemini api"
	}

	icfg := imagegen.ImagenConfig{APIKey: cfg.GeminiKey, BaseURL: cfg.GeminiBaseURL}
	if cfg.VertexToken != "" && cfg.VertexProject != "" {
		icfg = imagegen.ImagenConfig{Vertex: true, BaseURL: cfg.VertexBaseURL,
			Project: cfg.VertexProject, Location: cfg.VertexLocation,
			AccessToken: cfg.VertexToken}
		name += " + vertex"
	}
	if icfg.Vertex || icfg.APIKey != "" {
		im, err := imagegen.NewImagen(ctx, icfg)
		if err != nil {
			return nil, "", err
		}
		ps[imagegen.ProtocolImagen] = im
	}
	log.Info("provider configured", "name", name, "gemini_base", cfg.GeminiBaseURL,
		"vertex", icfg.Vertex)
	return ps, name, nil
}
