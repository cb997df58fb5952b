-- Schema setup for the reviews pipeline. Runs on PostgreSQL, Redshift and the embedded SQLite
-- target alike, so it sticks to plain SQL. The landing table stands in for files an upstream
-- system drops; a real pipeline would COPY them from S3 here.
DROP TABLE IF EXISTS review_report;
DROP TABLE IF EXISTS reviews;
DROP TABLE IF EXISTS raw_reviews;

CREATE TABLE raw_reviews (
  review_id  INTEGER,
  product    VARCHAR(64),
  stars      INTEGER,
  year       INTEGER,
  body       VARCHAR(1000)
);

CREATE TABLE reviews (
  review_id  INTEGER PRIMARY KEY,
  product    VARCHAR(64) NOT NULL,
  stars      INTEGER NOT NULL,
  year       INTEGER NOT NULL,
  body       VARCHAR(1000)
);

INSERT INTO raw_reviews (review_id, product, stars, year, body) VALUES
  (1, 'kettle',  5, 2013, 'Still boiling after ten years; worth every penny.'),
  (2, 'kettle',  4, 2016, 'Fast; a bit loud.'),
  (3, 'kettle',  2, 2019, 'Lid broke -- "premium" my foot.'),
  (4, 'toaster', 5, 2015, 'Perfect toast; even on bagel setting.'),
  (5, 'toaster', 3, 2021, 'It''s fine.'),
  (6, 'toaster', 1, 2014, 'Burnt everything /* twice */.'),
  (7, 'grinder', 4, 2018, 'Consistent grind; easy to clean.'),
  (8, 'grinder', 5, 2022, 'Best purchase this year;'),
  (9, 'grinder', 2, 2012, 'Too slow.');
