-- Thumbnails move to a table of their own. SQLite stores a row's columns
-- in order, and a thumbnail stored after a megabyte-sized image in the
-- same row could only be read by walking the image's overflow pages:
-- hundreds of page reads for every thumbnail the gallery shows.
CREATE TABLE image_thumbs (
    image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
    data     BLOB    NOT NULL
);
INSERT INTO image_thumbs(image_id, data) SELECT id, thumb FROM images;
ALTER TABLE images DROP COLUMN thumb;
