-- The gallery: full-text search over prompts, favourites, and the indexes
-- that keep keyset pages fast with any filter.

-- An external-content FTS5 index: it stores only the index, not a second
-- copy of every prompt, and the triggers below keep it in step with images.
-- The prefix option makes "word*" searches of 2 or 3 letters index lookups.
CREATE VIRTUAL TABLE images_fts USING fts5(
    prompt,
    content = 'images',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_fts(rowid, prompt) VALUES (new.id, new.prompt);
END;

CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
    INSERT INTO images_fts(images_fts, rowid, prompt)
    VALUES ('delete', old.id, old.prompt);
END;

CREATE TRIGGER images_fts_update AFTER UPDATE OF prompt ON images BEGIN
    INSERT INTO images_fts(images_fts, rowid, prompt)
    VALUES ('delete', old.id, old.prompt);
    INSERT INTO images_fts(rowid, prompt) VALUES (new.id, new.prompt);
END;

-- Index the images written before this migration.
INSERT INTO images_fts(images_fts) VALUES ('rebuild');

-- A member's favourite images; they go when the image or member goes.
CREATE TABLE favourites (
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    image_id   INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (member_id, image_id)
) WITHOUT ROWID;
CREATE INDEX favourites_image ON favourites(image_id);

-- Gallery pages are keyed by (created_at, id) in either direction; each
-- filter that narrows a lot gets an index that starts with it and then
-- keeps that order, so a page reads about as many rows as it shows.
DROP INDEX IF EXISTS images_newest;
CREATE INDEX images_created ON images(created_at, id);
CREATE INDEX images_member_created ON images(member_id, created_at, id);
CREATE INDEX images_model_created ON images(model, created_at, id);

-- The usage page pages the ledger by id, per member or for everyone.
CREATE INDEX ledger_member_id ON ledger(member_id, id);
CREATE INDEX ledger_created ON ledger(created_at);
