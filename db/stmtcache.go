package db

import (
	"context"
	"database/sql"
	"sync"
)

// stmtDB is a connection pool that keeps a prepared statement for every
// query text it has run. Parsing SQL is a large share of a small query's
// cost in SQLite, and the same few queries (a session, a thumbnail, a
// gallery page) run on every request. The query texts are constants or
// built from a small set of filter fragments, so the cache stays small;
// it is capped all the same.
type stmtDB struct {
	*sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxStmts bounds the statement cache; past it, queries are prepared
// each time as database/sql would anyway.
const maxStmts = 256

func newStmtDB(db *sql.DB) *stmtDB {
	return &stmtDB{DB: db, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the cached statement for query, preparing it on first use.
func (s *stmtDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	st, ok := s.stmts[query]
	s.mu.Unlock()
	if ok {
		return st, nil
	}

	st, err := s.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.stmts[query]; ok {
		st.Close()
		return old, nil
	}
	if len(s.stmts) < maxStmts {
		s.stmts[query] = st
	}
	return st, nil
}

// QueryContext runs a query through its cached statement.
func (s *stmtDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a one-row query through its cached statement.
func (s *stmtDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, query)
	if err != nil {
		// Let database/sql report the error through the Row.
		return s.DB.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Close closes the cached statements and the pool.
func (s *stmtDB) Close() error {
	s.mu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.mu.Unlock()
	return s.DB.Close()
}
