-- Load: copy the reviews written since 2015 from the landing table, dropping rows without a
-- product or with stars outside 1..5.
DELETE FROM reviews;

INSERT INTO reviews (review_id, product, stars, year, body)
SELECT review_id, product, stars, year, body
FROM raw_reviews
WHERE year >= 2015
  AND product IS NOT NULL
  AND stars BETWEEN 1 AND 5;
