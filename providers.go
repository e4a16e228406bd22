package main

import (
	"context"
	"log/slog"

	"atelier/imagegen"
)

// buildProviders makes a provider for each protocol that is configured.
// The offline renderer is always there; the Google providers join when a
// key (or a Vertex token) is configured and --offline is not set.
func buildProviders(ctx context.Context, cfg config, log *slog.Logger) (
	map[imagegen.Protocol]imagegen.Provider, string, error) {
	ps := map[imagegen.Protocol]imagegen.Provider{
		imagegen.ProtocolOffline: imagegen.NewOffline(),
	}
	name := "offline renderer"
	if cfg.Offline || (cfg.GeminiKey == "" && cfg.VertexToken == "") {
		return ps, name, nil
	}
	return addGoogle(ctx, cfg, ps, log)
}
